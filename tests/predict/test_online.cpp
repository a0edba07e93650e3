#include <gtest/gtest.h>

#include "base/error.h"
#include "predict/online.h"
#include "predict/predict_fixture.h"
#include "predict/predictor.h"
#include "test_scale.h"

namespace odma::predict {
namespace {

PredictorModel model() {
  return train_on_dataset(fixture::synthetic_dataset(600), fixture::small_train_options());
}

TEST(Online, PredictionsMoveTowardObservedLengths) {
  Predictor p(model());
  const std::string prompt = "Answer in one word: what is the colour of stars?";
  const std::int32_t before = p.distribution(prompt, 12, 0).median();
  ASSERT_LT(before, 10);
  std::int32_t last = before;
  int increases = 0;
  for (int i = 0; i < 30; ++i) {
    p.observe(prompt, 12, 0, 300);
    std::int32_t now = p.distribution(prompt, 12, 0).median();
    increases += now > last;
    EXPECT_GE(now, last) << "step " << i;
    last = now;
  }
  EXPECT_GT(increases, 0);
  EXPECT_GT(last, 150) << "after 30 observations of 300 the median should be near 300";
  EXPECT_LE(last, 450);
}

TEST(Online, PriorTracksDriftForUnseenPrompts) {
  Predictor p(model());
  const std::string unseen = "Zyx qwv plorp";  // no learned feature but the bias and sizes
  const double before = p.distribution(unseen, 3, 0).mean();
  for (std::int64_t i = 0; i < odma::testing::scaled(400, 100); ++i) {
    workload::Record r = fixture::synthetic_record(i);
    p.observe(r.prompt, r.prompt_tokens, 0, 1500);  // traffic suddenly produces 1500 tokens
  }
  EXPECT_GT(p.distribution(unseen, 3, 0).mean(), before * 1.5);
}

TEST(Online, ObservingTheTruthKeepsGoodPredictionsGood) {
  PredictorModel m = model();
  OnlineUpdater u(m.model);
  workload::Record r = fixture::synthetic_record(1);  // a "list" prompt
  const std::int32_t before = m.model.predict(PromptInfo{r.prompt, r.prompt_tokens, 0}).median();
  for (int i = 0; i < 20; ++i) u.observe(PromptInfo{r.prompt, r.prompt_tokens, 0}, r.output_tokens);
  const std::int32_t after = m.model.predict(PromptInfo{r.prompt, r.prompt_tokens, 0}).median();
  EXPECT_LE(std::abs(after - r.output_tokens), std::abs(before - r.output_tokens) + 2);
  EXPECT_EQ(u.observations(), 20);
  EXPECT_THROW(OnlineUpdater(m.model, OnlineConfig{-1.0f, 0.0f}), Error);
}

// @auto: after a drift to answers four times as long as the model learnt, the coverage climbs
// until the share of completions longer than their predicted length is back at the target, and
// holds there; without @auto the same drift leaves most requests under-reserved.
TEST(AutoCoverage, TheMissRateReturnsToItsTargetAfterADrift) {
  for (const double target : {0.05, 0.15}) {
    Predictor p(model());
    p.set_coverage(0.5);
    p.enable_auto_coverage(target);
    Predictor fixed(model());
    fixed.set_coverage(0.5);
    const std::int64_t n = odma::testing::scaled(4000, 2000);
    std::int64_t misses = 0, fixed_misses = 0, counted = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      const workload::Record r = fixture::synthetic_record(i);
      const std::int32_t actual = 4 * r.output_tokens;  // the drift
      if (i >= n / 2) {  // the second half: after the controller has had time to settle
        ++counted;
        misses += actual > p.predict(r.prompt, r.prompt_tokens, 0).output_tokens;
        fixed_misses += actual > fixed.predict(r.prompt, r.prompt_tokens, 0).output_tokens;
      }
      p.observe(r.prompt, r.prompt_tokens, 0, actual);
      fixed.observe(r.prompt, r.prompt_tokens, 0, actual);
    }
    const double rate = static_cast<double>(misses) / static_cast<double>(counted);
    EXPECT_NEAR(rate, target, 0.05) << "target " << target << ", coverage now " << p.coverage();
    EXPECT_NEAR(p.recent_miss_rate(), target, 0.1);
    EXPECT_GT(p.coverage(), 0.5);  // the drift made the model too short: coverage went up
    // The controller is what holds the rate: at a fixed median the miss rate is far from it.
    EXPECT_GT(static_cast<double>(fixed_misses) / static_cast<double>(counted), target + 0.1);
  }
}

TEST(AutoCoverage, RejectsRatesOutsideTheOpenUnitInterval) {
  Predictor p(model());
  EXPECT_THROW(p.enable_auto_coverage(0.0), Error);
  EXPECT_THROW(p.enable_auto_coverage(1.0), Error);
  EXPECT_FALSE(p.auto_coverage());
}

}  // namespace
}  // namespace odma::predict
