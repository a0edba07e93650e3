// The --predictor spec's coverage suffix: "bundled@Q" reserves at quantile Q of the same model.
#include <gtest/gtest.h>

#include "base/error.h"
#include "predict/predictor_source.h"

namespace odma::predict {
namespace {

workload::TraceRequest essay() {
  workload::TraceRequest r;
  r.id = "essay";
  r.prompt = "Write an essay about the history of the printing press.";
  r.prompt_tokens = 12;
  r.output_tokens = 300;
  return r;
}

TEST(PredictorSpec, CoverageSuffixLowersTheReservedQuantile) {
  auto low = make_predictor_source("bundled@0.5", 1);
  auto high = make_predictor_source("bundled@0.95", 1);
  auto fallback = make_predictor_source("bundled", 1);
  const kv::LengthPrediction a = low->predict(essay(), 2048);
  const kv::LengthPrediction b = high->predict(essay(), 2048);
  EXPECT_LT(a.output_tokens, b.output_tokens);
  EXPECT_EQ(b.output_tokens, fallback->predict(essay(), 2048).output_tokens);  // model default 0.95
  EXPECT_EQ(a.true_output_tokens, 300);
  EXPECT_NE(low->describe().find("0.5"), std::string::npos);
}

TEST(PredictorSpec, BadCoverageIsAClearError) {
  EXPECT_THROW(make_predictor_source("bundled@x", 1), Error);
  EXPECT_THROW(make_predictor_source("bundled@0", 1), Error);
  EXPECT_THROW(make_predictor_source("bundled@1.5", 1), Error);
  EXPECT_THROW(make_predictor_source("model:@0.5", 1), Error);
}

}  // namespace
}  // namespace odma::predict
