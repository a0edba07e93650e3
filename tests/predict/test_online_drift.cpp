// Online rates and the drift signal: odma's bucket drift detector (the one inside
// kv::AdaptiveBuckets that recalibrates the buckets) tells the predictor that completed lengths
// moved (Predictor::notify_drift), and the predictor re-converges faster with that signal.
#include <gtest/gtest.h>

#include <cmath>

#include "base/error.h"
#include "kv/adaptive_buckets.h"
#include "predict/online.h"
#include "predict/predict_fixture.h"
#include "predict/predictor.h"

namespace odma::predict {
namespace {

PredictorModel model() {
  return train_on_dataset(fixture::synthetic_dataset(600), fixture::small_train_options());
}

struct DriftRun {
  double error_after = 0;  // mean |ln median − ln actual| over completions 128..427 after it
  std::int64_t false_alarms = 0;     // signals before the drift
  std::int64_t detected_after = -1;  // completions from the drift to the first signal
};

// 1,000 completions of the lengths the model learnt, then 1,000 of answers four times as long;
// every completed total length goes to adaptive buckets as odma's policy feeds them, and a
// detected drift is passed on to the predictor when `tell`.
DriftRun run_drift(bool tell) {
  Predictor p(model());
  p.set_coverage(0.5);
  kv::AdaptiveBuckets buckets(kv::AdaptiveBucketsConfig{});
  // Measured once the detector's window (128 lengths) has seen only new lengths.
  constexpr std::int64_t kBefore = 1000, kAfter = 1000, kFrom = 128, kMeasured = 300;
  DriftRun run;
  for (std::int64_t i = 0; i < kBefore + kAfter; ++i) {
    const workload::Record r = fixture::synthetic_record(i);
    const bool drifted = i >= kBefore;
    const std::int32_t actual = drifted ? 4 * r.output_tokens : r.output_tokens;
    if (i >= kBefore + kFrom && i < kBefore + kFrom + kMeasured) {
      const std::int32_t median = p.distribution(r.prompt, r.prompt_tokens, 0).median();
      run.error_after += std::abs(std::log(median) - std::log(actual)) / kMeasured;
    }
    const std::int64_t before = buckets.drift_recalibrations();
    (void)buckets.observe(r.prompt_tokens + actual);
    if (buckets.drift_recalibrations() > before) {
      if (!drifted) ++run.false_alarms;
      if (drifted && run.detected_after < 0) run.detected_after = i - kBefore;
      if (tell) p.notify_drift();
    }
    p.observe(r.prompt, r.prompt_tokens, 0, actual);
  }
  EXPECT_EQ(p.drift_signals(), tell ? buckets.drift_recalibrations() : 0);
  return run;
}

TEST(DriftSignal, ThePredictorReconvergesFasterWhenTheBucketDetectorTellsIt) {
  const DriftRun told = run_drift(true), untold = run_drift(false);
  EXPECT_EQ(told.false_alarms, 0);
  // The detector's window is 128 lengths (kv/adaptive_buckets.h): the shift is flagged within it.
  ASSERT_GE(told.detected_after, 0);
  EXPECT_LE(told.detected_after, 128);
  EXPECT_LT(told.error_after, 0.8 * untold.error_after)
      << "with the signal " << told.error_after << ", without " << untold.error_after;
}

TEST(DriftSignal, TheBoostDecaysBackToTheSteadyRatesOverItsWindow) {
  DriftBoost b(4.0, 100);
  EXPECT_DOUBLE_EQ(b.scale(), 1.0);
  b.signal();
  EXPECT_DOUBLE_EQ(b.scale(), 4.0);
  for (int i = 0; i < 50; ++i) b.advance();
  EXPECT_DOUBLE_EQ(b.scale(), 2.5);
  b.signal();  // a second drift restarts the window
  EXPECT_DOUBLE_EQ(b.scale(), 4.0);
  for (int i = 0; i < 100; ++i) b.advance();
  EXPECT_DOUBLE_EQ(b.scale(), 1.0);
  EXPECT_FALSE(b.active());
  EXPECT_EQ(b.signals(), 2);
}

TEST(OnlineRates, ThePriorRateMovesOnlyTheBiasRowAndTheFeatureRateOnlyTheRest) {
  const workload::Record r = fixture::synthetic_record(2);
  for (const bool prior_only : {true, false}) {
    PredictorModel m = model();
    const std::vector<float> before = m.model.weights();
    OnlineUpdater u(m.model, prior_only ? OnlineConfig{0.0f, 0.5f} : OnlineConfig{0.5f, 0.0f});
    u.observe(PromptInfo{r.prompt, r.prompt_tokens, 0}, 4 * r.output_tokens);
    const std::size_t bins = static_cast<std::size_t>(m.model.bins());
    std::size_t changed_bias = 0, changed_other = 0;
    for (std::size_t i = 0; i < before.size(); ++i) {
      if (before[i] == m.model.weights()[i]) continue;
      (i < bins ? changed_bias : changed_other) += 1;
    }
    EXPECT_EQ(changed_bias > 0, prior_only);
    EXPECT_EQ(changed_other > 0, !prior_only);
  }
}

TEST(OnlineRates, TheCommandLineFormParsesAndRefusesNonsense) {
  const OnlineConfig d = parse_online_config(std::nullopt, std::nullopt);
  EXPECT_FLOAT_EQ(d.feature_rate, OnlineConfig{}.feature_rate);
  EXPECT_FLOAT_EQ(d.prior_rate, OnlineConfig{}.prior_rate);
  const OnlineConfig c = parse_online_config("0.02,0.3", "8,200");
  EXPECT_FLOAT_EQ(c.feature_rate, 0.02f);
  EXPECT_FLOAT_EQ(c.prior_rate, 0.3f);
  EXPECT_FLOAT_EQ(c.drift_boost, 8.0f);
  EXPECT_EQ(c.drift_window, 200);
  EXPECT_FLOAT_EQ(parse_online_config(std::nullopt, "off").drift_boost, 1.0f);
  EXPECT_EQ(parse_online_config(std::nullopt, "2").drift_window, OnlineConfig{}.drift_window);
  for (const char* bad : {"0.1", "0.1,0.2,0.3", "x,0.1", "-0.1,0.1", "0.1,inf"})
    EXPECT_THROW((void)parse_online_config(std::string(bad), std::nullopt), Error) << bad;
  for (const char* bad : {"0.5", "2,0", "2,1.5", "2,100,3", "on"})
    EXPECT_THROW((void)parse_online_config(std::nullopt, std::string(bad)), Error) << bad;
  EXPECT_EQ(OnlineConfig{}.to_string(), "feature 0.05, prior 0.1, drift boost ×4 over 500");
}

}  // namespace
}  // namespace odma::predict
