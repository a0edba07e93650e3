// The one --predictor grammar (predictor_spec.h) and what each spec predicts.
#include <gtest/gtest.h>

#include <cmath>

#include "base/error.h"
#include "predict/predictor.h"
#include "predict/predictor_source.h"
#include "predict/predictor_spec.h"

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

TEST(PredictorSpec, ParsesEveryFormAndPrintsItBack) {
  using K = PredictorSpec::Kind;
  const struct {
    const char* text;
    K kind;
    const char* canonical;
  } cases[] = {{"oracle", K::kOracle, "oracle"},
               {"bundled", K::kBundled, "bundled"},
               {"bundled@0.5", K::kBundled, "bundled@0.5"},
               {"none", K::kNone, "none"},
               {"none@0.9", K::kNone, "none@0.9"},
               {"noisy:0.5", K::kNoisy, "noisy:0.5"},
               {"noisy:0.25@0.8", K::kNoisy, "noisy:0.25@0.8"},
               {"model:/tmp/m.odmp@0.7", K::kModel, "model:/tmp/m.odmp@0.7"},
               {"oracle@0.5", K::kOracle, "oracle@0.5"},
               {"bundled@auto", K::kBundled, "bundled@auto:0.1"},
               {"bundled@auto:0.25", K::kBundled, "bundled@auto:0.25"}};
  for (const auto& c : cases) {
    const PredictorSpec s = PredictorSpec::parse(c.text);
    EXPECT_EQ(s.kind, c.kind) << c.text;
    EXPECT_EQ(s.to_string(), c.canonical) << c.text;
  }
  // An '@' inside a model path's folders is part of the path, not a quantile.
  const PredictorSpec at = PredictorSpec::parse("model:/data/run@2/m.odmp");
  EXPECT_EQ(at.path, "/data/run@2/m.odmp");
  EXPECT_FALSE(at.quantile.has_value());
  EXPECT_TRUE(PredictorSpec::parse("noisy:1").needs_truth());
  EXPECT_FALSE(PredictorSpec::parse("bundled").needs_truth());
}

TEST(PredictorSpec, ErrorsQuoteTheSpecAndTheGrammar) {
  for (const char* bad : {"", "guess", "bundled@", "bundled@0", "bundled@2", "noisy:", "noisy:-1",
                          "noisy:x@0.5", "model:", "model:@0.5", "oracle@nan",
                          "bundled@auto:", "bundled@auto:0", "bundled@auto:1", "bundled@autox"}) {
    try {
      (void)PredictorSpec::parse(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(std::string("--predictor ") + bad), std::string::npos) << what;
      EXPECT_NE(what.find(kPredictorGrammar), std::string::npos) << what;
    }
  }
}

TEST(PredictorSpec, NoneReservesTheCapWithFullUncertainty) {
  auto none = make_predictor_source("none", 1);
  const kv::LengthPrediction p = none->predict(essay(), 512);
  EXPECT_EQ(p.output_tokens, 512);
  EXPECT_EQ(p.uncertainty, 1.0);
  EXPECT_EQ(p.true_output_tokens, 300);
  EXPECT_FALSE(none->learns());
}

// noisy's estimate is its median; @Q moves it to the Q-quantile of its log-normal: × exp(σ Φ⁻¹(Q)).
TEST(PredictorSpec, NoisyQuantileScalesByTheLogNormalQuantile) {
  auto median = make_predictor_source("noisy:0.5", 9);
  auto high = make_predictor_source("noisy:0.5@0.8413447", 9);  // Φ⁻¹ = 1: × e^0.5
  workload::TraceRequest r = essay();
  r.output_tokens = 1000;
  for (int i = 0; i < 50; ++i) {
    r.id = "r" + std::to_string(i);
    const double a = median->predict(r, 0).output_tokens, b = high->predict(r, 0).output_tokens;
    EXPECT_NEAR(b / a, std::exp(0.5), 0.01 * std::exp(0.5) + 1.0 / a) << r.id;
  }
  // Oracle is a point mass: every quantile is the truth.
  EXPECT_EQ(make_predictor_source("oracle@0.1", 1)->predict(essay(), 0).output_tokens, 300);
}

// A server has no true lengths: oracle and noisy are refused there; none means no predictor.
TEST(PredictorSpec, ServingPredictorsAreModelsOrNothing) {
  EXPECT_THROW((void)make_serving_predictor(PredictorSpec::parse("oracle")), Error);
  EXPECT_THROW((void)make_serving_predictor(PredictorSpec::parse("noisy:0.5")), Error);
  EXPECT_EQ(make_serving_predictor(PredictorSpec::parse("none")), nullptr);
  auto p = make_serving_predictor(PredictorSpec::parse("bundled@0.5"));
  ASSERT_NE(p, nullptr);
  EXPECT_DOUBLE_EQ(p->coverage(), 0.5);
}

// A model source learns from what it observes: the same prompt is predicted longer after it has
// been seen producing long answers.
TEST(PredictorSpec, ModelSourcesLearnFromObservedCompletions) {
  auto source = make_predictor_source("bundled@0.5", 1);
  ASSERT_TRUE(source->learns());
  const std::int32_t before = source->predict(essay(), 2048).output_tokens;
  for (int i = 0; i < 200; ++i) source->observe(essay(), 2048, 1500);
  EXPECT_GT(source->predict(essay(), 2048).output_tokens, 2 * before);
}

}  // namespace
}  // namespace odma::predict
