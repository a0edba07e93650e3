// Drift: the KS detector's rule and bounds, and adaptive edges following a 4× length shift.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "kv/adaptive_buckets.h"
#include "kv/bucket_partition.h"
#include "kv/drift_detector.h"
#include "test_scale.h"

namespace odma::kv {
namespace {

TEST(DriftDetector, ThresholdFollowsTheStatedFormula) {
  DriftDetector d(100, 1e-6);
  EXPECT_TRUE(std::isinf(d.threshold()));  // no reference yet: never fires
  const std::vector<std::int32_t> edges{10, 20};
  const std::vector<double> cdf{0.5, 1.0};
  d.set_reference(edges, cdf, 400.0);
  EXPECT_NEAR(d.threshold(), std::sqrt(std::log(2e6) / 2 * (1.0 / 100 + 1.0 / 400)), 1e-12);
  d.set_reference(edges, cdf, 0.0);
  EXPECT_TRUE(std::isinf(d.threshold()));
}

TEST(DriftDetector, FiresOnlyWhenTheWindowLeavesTheReference) {
  const std::vector<std::int32_t> edges{10, 20};
  const std::vector<double> cdf{0.5, 1.0};
  DriftDetector d(100, 1e-6);
  d.set_reference(edges, cdf, 1e12);
  const double eps = d.threshold();  // ≈ 0.27
  // A window matching the reference exactly (half ≤ 10): D = 0, never fires.
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE(d.observe(i % 2 == 0 ? 5 : 15)) << i;
  EXPECT_NEAR(d.statistic(), 0, 1e-12);
  // Now only long lengths. The window's oldest entry is short, so after m long ones ⌈m/2⌉ shorts
  // have left: C_1 = (50 − ⌈m/2⌉)/100 and D = ⌈m/2⌉/100, which first exceeds ε when
  // ⌈m/2⌉ = ⌊100·ε⌋ + 1, i.e. at m = 2·(⌊100·ε⌋ + 1) − 1.
  const int expected = 2 * (static_cast<int>(std::floor(100 * eps)) + 1) - 1;
  int fired_at = -1;
  for (int m = 1; m <= 100 && fired_at < 0; ++m)
    if (d.observe(15)) fired_at = m;
  EXPECT_EQ(fired_at, expected);
  // window_lengths: oldest first, the last `expected` are the long ones.
  const auto w = d.window_lengths();
  ASSERT_EQ(w.size(), 100u);
  for (int i = 0; i < expected; ++i) EXPECT_EQ(w[w.size() - 1 - static_cast<std::size_t>(i)], 15);
}

TEST(DriftDetector, ChangePointAndRestart) {
  const std::vector<std::int32_t> edges{10, 20};
  const std::vector<double> cdf{0.5, 1.0};
  DriftDetector d(100, 1e-6);
  d.set_reference(edges, cdf, 1e12);
  for (int i = 0; i < 100; ++i) (void)d.observe(i % 2 == 0 ? 5 : 15);
  bool fired = false;
  int m = 0;
  while (!fired) {
    fired = d.observe(15);
    ++m;
  }
  // The change point is where the trailing run of long lengths starts (the run may begin one entry
  // before the m we fed: the alternating prefix ended with a long one). Inside the run D = 0.5 and
  // √len·D grows; every longer suffix is diluted by shorts.
  const auto w = d.window_lengths();
  int run = 0;
  while (run < static_cast<int>(w.size()) && w[w.size() - 1 - static_cast<std::size_t>(run)] == 15)
    ++run;
  ASSERT_GE(run, m);
  EXPECT_EQ(d.change_point_suffix(4), run);
  EXPECT_GE(d.change_point_suffix(run + 10), run + 10);  // never below the minimum
  d.keep_newest(run);
  EXPECT_EQ(d.window_lengths(), std::vector<std::int32_t>(static_cast<std::size_t>(run), 15));
  EXPECT_EQ(d.statistic(), 0);  // not full: no test until W lengths are in again
  for (int i = run; i < 99; ++i) ASSERT_FALSE(d.observe(15));
  EXPECT_TRUE(d.observe(15));  // full again, and still all long vs the old reference
}

TEST(DriftDetector, WaitsForAFullWindow) {
  DriftDetector d(50, 1e-6);
  const std::vector<std::int32_t> edges{10, 20};
  const std::vector<double> cdf{0.0, 1.0};  // reference: everything long
  d.set_reference(edges, cdf, 1e12);
  for (int i = 1; i < 50; ++i) ASSERT_FALSE(d.observe(1));
  EXPECT_TRUE(d.observe(1));  // the 50th short length fills the window: D = 1
}

struct ShiftResult {
  std::int32_t median_edge_before = 0;  // edges[(K−1)/2] just before the shift
  std::int64_t first_drift = -1;        // completions after the shift until drift was flagged
  std::int64_t median_passed_at = -1;   // completions until the median edge passed the new median
  bool median_stayed = true;            // and it stayed past it afterwards
  double waste_before = 0;              // w(edges) under the new distribution, at the shift
  double waste_optimal = 0;             // the optimum for the new distribution
  std::int64_t halved_at = -1;  // completions until w − optimum ≤ (waste_before − optimum) / 2
  double waste_final = 0;       // w(edges) under the new distribution at the horizon
};

// Log-normal lengths (σ 0.8) with mean `before`, then `after` from completion 5,001 on.
ShiftResult run_shift(std::uint32_t seed, double mean_before, double mean_after,
                      std::int64_t horizon) {
  const AdaptiveBucketsConfig config;  // K 16, granule 16, every 256, half-life 4096
  const double sigma = 0.8;
  const double new_median = mean_after * std::exp(-sigma * sigma / 2);
  const bool upward = mean_after > mean_before;
  std::mt19937 rng(seed);
  std::lognormal_distribution<double> before(std::log(mean_before) - sigma * sigma / 2, sigma);
  std::lognormal_distribution<double> after(std::log(mean_after) - sigma * sigma / 2, sigma);
  auto draw = [&rng](std::lognormal_distribution<double>& d) {
    return static_cast<std::int32_t>(std::lround(d(rng)));
  };
  // The new distribution, finely sampled, to score edges by their expected waste on it.
  LengthHistogram truth(config.max_length, config.granule, 1e300);
  std::mt19937 truth_rng(seed + 1000);
  for (int i = 0; i < 100000; ++i)
    truth.add(static_cast<std::int32_t>(std::lround(after(truth_rng))));
  std::vector<std::int32_t> upper;
  for (std::int32_t b = 0; b < truth.bins(); ++b) upper.push_back(truth.upper(b));
  std::vector<std::int32_t> best;
  for (std::int32_t end : optimal_partition(truth.masses(), upper, config.buckets).ends)
    best.push_back(upper[static_cast<std::size_t>(end)]);

  AdaptiveBuckets b(config);
  for (int i = 0; i < 5000; ++i) (void)b.observe(draw(before));
  ShiftResult r;
  const std::size_t mid = (b.edges().size() - 1) / 2;
  r.median_edge_before = b.edges()[mid];
  r.waste_before = truth.expected_waste(b.edges());
  r.waste_optimal = truth.expected_waste(best);
  const std::int64_t drifts_before = b.drift_recalibrations();
  for (std::int64_t t = 1; t <= horizon; ++t) {
    if (!b.observe(draw(after))) continue;
    if (r.first_drift < 0 && b.drift_recalibrations() > drifts_before) r.first_drift = t;
    const bool past = upward ? b.edges()[mid] >= new_median : b.edges()[mid] <= new_median;
    if (r.median_passed_at < 0 && past) r.median_passed_at = t;
    if (r.median_passed_at >= 0 && !past) r.median_stayed = false;
    const double w = truth.expected_waste(b.edges());
    if (r.halved_at < 0 && w - r.waste_optimal <= (r.waste_before - r.waste_optimal) / 2)
      r.halved_at = t;
  }
  r.waste_final = truth.expected_waste(b.edges());
  return r;
}

// The drift requirement: lengths switch to a 4× longer distribution (mean 100 → 400); the
// median bucket edge must pass the new median within 2·recalibrate_every = 512 completions. The
// detector's stated bound is stronger: flagged within W = 128 completions (Δ ≈ 0.45 ≫ ε ≈ 0.24, so
// the DKW miss probability is ≤ 2·exp(−2·128·0.2²) ≈ 7e−5 per run). The excess waste over the new
// optimum must halve within the same 512 completions.
TEST(AdaptiveBucketsDrift, EdgesFollowAFourfoldLongerDistribution) {
  const std::int64_t runs = odma::testing::scaled(6, 2);
  for (std::int64_t s = 1; s <= runs; ++s) {
    const ShiftResult r = run_shift(static_cast<std::uint32_t>(s), 100, 400, 1500);
    SCOPED_TRACE("seed " + std::to_string(s));
    EXPECT_LT(r.median_edge_before, 400 * std::exp(-0.32));  // it had to move
    EXPECT_GE(r.first_drift, 1);
    EXPECT_LE(r.first_drift, 128);
    EXPECT_GE(r.median_passed_at, 1);
    EXPECT_LE(r.median_passed_at, 2 * 256);
    EXPECT_TRUE(r.median_stayed);
    EXPECT_GT(r.waste_before, 1.5 * r.waste_optimal);  // the shift matters
    EXPECT_GE(r.halved_at, 1);
    EXPECT_LE(r.halved_at, 2 * 256);
    EXPECT_LE(r.waste_final, 1.15 * r.waste_optimal);
  }
}

// The reverse shift (400 → 100). Here the median edge of the optimal partition stays above the new
// median (the long tail pulls edges up), so the criterion is the waste: the excess over the new
// optimum halves within 512 completions. The tail of the new distribution is only learnt as its
// rare long lengths arrive, so the final tolerance is wider.
TEST(AdaptiveBucketsDrift, EdgesFollowAFourfoldShorterDistribution) {
  const std::int64_t runs = odma::testing::scaled(6, 2);
  for (std::int64_t s = 1; s <= runs; ++s) {
    const ShiftResult r = run_shift(static_cast<std::uint32_t>(100 + s), 400, 100, 1500);
    SCOPED_TRACE("seed " + std::to_string(s));
    EXPECT_GE(r.first_drift, 1);
    EXPECT_LE(r.first_drift, 128);
    EXPECT_GT(r.waste_before, 1.5 * r.waste_optimal);  // the shift matters
    EXPECT_GE(r.halved_at, 1);
    EXPECT_LE(r.halved_at, 2 * 256);
    EXPECT_LE(r.waste_final, 1.25 * r.waste_optimal);
  }
}

// After a drift restart from m lengths, refits come each time the histogram doubles (at 2m, 4m, …
// lengths) until the step reaches recalibrate_every, then every recalibrate_every.
TEST(AdaptiveBucketsDrift, RestartedHistogramIsRefittedAsItDoubles) {
  AdaptiveBuckets b{AdaptiveBucketsConfig{}};
  std::mt19937 rng(42);
  std::lognormal_distribution<double> before(std::log(100.0) - 0.32, 0.8);
  std::lognormal_distribution<double> after(std::log(400.0) - 0.32, 0.8);
  for (int i = 0; i < 3000; ++i)
    (void)b.observe(static_cast<std::int32_t>(std::lround(before(rng))));
  while (b.drift_recalibrations() == 0)
    (void)b.observe(static_cast<std::int32_t>(std::lround(after(rng))));
  const std::int64_t m = b.histogram().observations();
  EXPECT_GE(m, 16);   // kMinDriftSuffix
  EXPECT_LE(m, 128);  // at most the window
  std::vector<std::int64_t> refit_sizes;
  for (int i = 0; i < 1200; ++i) {
    if (b.observe(static_cast<std::int32_t>(std::lround(after(rng)))))
      refit_sizes.push_back(b.histogram().observations());
  }
  ASSERT_EQ(b.drift_recalibrations(), 1);  // one shift, one detection
  std::vector<std::int64_t> expected;
  for (std::int64_t size = m, step = m; size + step <= m + 1200;) {
    size += step;
    expected.push_back(size);
    step = std::min<std::int64_t>(size, 256);
  }
  EXPECT_EQ(refit_sizes, expected);
}

TEST(AdaptiveBucketsDrift, NoFalseAlarmsOnStationaryStreams) {
  const std::int64_t n = odma::testing::scaled(30000, 3000);
  for (int shape = 0; shape < 3; ++shape) {
    AdaptiveBuckets b{AdaptiveBucketsConfig{}};
    std::mt19937 rng(static_cast<std::uint32_t>(7 + shape));
    std::lognormal_distribution<double> ln(std::log(150.0), 1.0);
    std::uniform_int_distribution<std::int32_t> uni(1, 2048);
    std::bernoulli_distribution coin(0.3);
    for (std::int64_t i = 0; i < n; ++i) {
      std::int32_t len = 0;
      if (shape == 0) len = static_cast<std::int32_t>(std::lround(ln(rng)));
      if (shape == 1) len = uni(rng);
      if (shape == 2) len = coin(rng) ? 1500 + uni(rng) % 300 : 20 + uni(rng) % 60;  // bimodal
      (void)b.observe(len);
    }
    EXPECT_EQ(b.drift_recalibrations(), 0) << "shape " << shape;
    EXPECT_EQ(b.recalibrations(), n / 256) << "shape " << shape;
  }
}

}  // namespace
}  // namespace odma::kv
