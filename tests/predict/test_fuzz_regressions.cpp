// Inputs fuzz/fuzz_predictor_model.cpp found, kept as regression tests. The fuzzer's input was a
// shipped-format model whose CRC it had fixed up; the smallest model with the same defect is made
// here through the API.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "base/error.h"
#include "predict/model_file.h"

namespace odma::predict {
namespace {

std::string model_with_weight(float w) {
  ModelConfig config;
  config.features.hash_bits = 4;
  config.edges = {0, 4, 16, 64};
  PredictorModel m{LengthModel(config), {}, 0.95};
  m.model.row(3)[1] = w;
  return serialize_model(m);
}

// A NaN, infinite or absurd weight passed the checksum (the bytes were as written) and made every
// prediction's probabilities NaN, so the KV reservation sized from them was garbage.
TEST(PredictorFuzz, ANonFiniteOrHugeWeightIsAnErrorNamingTheFileAndRow) {
  for (float w :
       {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(), -1e30f}) {
    try {
      (void)parse_model(model_with_weight(w), "m.odmp");
      ADD_FAILURE() << "accepted weight " << w;
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("m.odmp"), std::string::npos) << what;
      EXPECT_NE(what.find("weight row 3"), std::string::npos) << what;
    }
  }
  EXPECT_NO_THROW((void)parse_model(model_with_weight(12.5f), "m.odmp"));
}

}  // namespace
}  // namespace odma::predict
