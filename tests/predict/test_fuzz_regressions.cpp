// Inputs fuzz/fuzz_predictor_model.cpp found, kept as regression tests. The fuzzer's input was a
// shipped-format model whose CRC it had fixed up; the smallest file with the same defect is made
// here: a one-row model whose int8 row step is overwritten, the CRC recomputed.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <limits>
#include <string>

#include "base/error.h"
#include "predict/length_model.h"
#include "predict/model_file.h"

namespace odma::predict {
namespace {

// A model whose only stored row (3) is bin 1 = 127 (int8 step 1.0), with that step replaced.
std::string model_with_step(float step) {
  ModelConfig config;
  config.features.hash_bits = 4;
  config.edges = {0, 4, 16, 64};
  PredictorModel m{LengthModel(config), {}, 0.95};
  m.provenance.index_hash = hash_indices(m.provenance.indices);
  m.model.row(3)[1] = 127.0f;
  std::string bytes = serialize_model(m);
  // "ODMP" | u32 version | u32 H | header | u64 P | payload | u32 crc; the payload is the empty
  // index bitmap, then the row: u32 row, u8 tag, f32 step, 3 x i8.
  std::uint32_t h = 0;
  std::memcpy(&h, bytes.data() + 8, 4);
  const std::size_t step_at = 12 + h + 8 + 4 + 1;
  float stored = 0;
  std::memcpy(&stored, bytes.data() + step_at, 4);
  EXPECT_EQ(stored, 1.0f) << "the model file layout changed";
  std::memcpy(bytes.data() + step_at, &step, 4);
  const uLong crc =
      crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size() - 4));
  for (int i = 0; i < 4; ++i) bytes[bytes.size() - 4 + i] = static_cast<char>(crc >> (8 * i));
  return bytes;
}

// A NaN, infinite or absurd weight passed the checksum (the bytes were as written) and made every
// prediction's probabilities NaN, so the KV reservation sized from them was garbage.
TEST(PredictorFuzz, ANonFiniteOrHugeWeightIsAnErrorNamingTheFileAndRow) {
  EXPECT_NO_THROW((void)parse_model(model_with_step(1.0f), "m.odmp"));
  for (float step :
       {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(), -1e30f}) {
    try {
      (void)parse_model(model_with_step(step), "m.odmp");
      ADD_FAILURE() << "accepted row step " << step;
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("m.odmp"), std::string::npos) << what;
      EXPECT_NE(what.find("weight row 3"), std::string::npos) << what;
    }
  }
}

// quantile(0) of a distribution whose first non-empty bin has a tiny probability: the target
// (q minus a rounding tolerance) is below zero, and dividing by that p sent the in-bin offset to
// -7.7e15 before its cast to int (UBSan, found by fuzz_predictor_model). Every quantile must lie
// inside its bin.
TEST(PredictorFuzz, QuantileOfATinyProbabilityBinStaysInsideTheBin) {
  auto edges =
      std::make_shared<const std::vector<std::int32_t>>(std::vector<std::int32_t>{0, 4, 16, 64});
  const Distribution d(edges, {1e-30f, 0.5f, 0.5f});
  EXPECT_EQ(d.quantile(0.0), 1);  // the smallest length of the first bin with mass
  EXPECT_EQ(d.quantile(1e-31), 1);
  EXPECT_EQ(d.quantile(0.25), 4 + 6);  // halfway through (4, 16]
  EXPECT_EQ(d.quantile(1.0), 64);
  for (double q = 0; q <= 1.0; q += 0.01) {
    const std::int32_t v = d.quantile(q);
    EXPECT_GE(v, 1) << q;
    EXPECT_LE(v, 64) << q;
  }
}

}  // namespace
}  // namespace odma::predict
