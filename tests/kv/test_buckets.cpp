// AdaptiveBuckets: config validation, edge invariants, reserve_for semantics, waste bounds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "base/error.h"
#include "kv/adaptive_buckets.h"
#include "kv/bucket_partition.h"
#include "test_scale.h"

namespace odma::kv {
namespace {

// The header's edge contract, checked after every change.
void expect_valid_edges(const AdaptiveBuckets& b) {
  const auto& e = b.edges();
  const auto& c = b.config();
  ASSERT_EQ(static_cast<std::int32_t>(e.size()), c.buckets);
  EXPECT_EQ(e.back(), c.max_length);
  for (std::size_t i = 0; i < e.size(); ++i) {
    EXPECT_GE(e[i], 1);
    if (i + 1 < e.size()) {
      EXPECT_EQ(e[i] % c.granule, 0) << "edge " << i << " = " << e[i];
    }
    if (i > 0) {
      EXPECT_LT(e[i - 1], e[i]);
    }
  }
}

AdaptiveBucketsConfig config(std::int32_t max_length, std::int32_t k, std::int32_t granule,
                             std::int32_t every = 256, double half_life = 4096) {
  AdaptiveBucketsConfig c;
  c.max_length = max_length;
  c.buckets = k;
  c.granule = granule;
  c.recalibrate_every = every;
  c.half_life = half_life;
  return c;
}

TEST(AdaptiveBuckets, RejectsInvalidConfigs) {
  EXPECT_THROW(AdaptiveBuckets(config(2048, 0, 16)), Error);  // K < 1
  EXPECT_THROW(AdaptiveBuckets(config(2048, -3, 16)), Error);
  EXPECT_THROW(AdaptiveBuckets(config(2048, 129, 16)), Error);  // K > 2048/16 slots
  EXPECT_THROW(AdaptiveBuckets(config(2048, 4, 0)), Error);     // granule < 1
  EXPECT_THROW(AdaptiveBuckets(config(2048, 4, -16)), Error);
  EXPECT_THROW(AdaptiveBuckets(config(8, 1, 16)), Error);             // max_length < granule
  EXPECT_THROW(AdaptiveBuckets(config(2048, 4, 16, 0)), Error);       // recalibrate_every < 1
  EXPECT_THROW(AdaptiveBuckets(config(2048, 4, 16, 256, 0)), Error);  // half_life ≤ 0
  EXPECT_THROW(AdaptiveBuckets(config(2048, 4, 16, 256, NAN)), Error);
  EXPECT_THROW(AdaptiveBuckets::geometric_edges(config(2048, 0, 16)), Error);
  // The boundary cases are valid: K == number of granule slots, max_length == granule.
  AdaptiveBuckets full(config(2048, 128, 16));
  expect_valid_edges(full);
  for (std::size_t i = 0; i < full.edges().size(); ++i)
    EXPECT_EQ(full.edges()[i], static_cast<std::int32_t>(16 * (i + 1)));
  AdaptiveBuckets one(config(16, 1, 16));
  EXPECT_EQ(one.edges(), std::vector<std::int32_t>{16});
  // ⌈40/16⌉ = 3 bins: the last edge is max_length even though it is not a granule multiple.
  AdaptiveBuckets ragged(config(40, 3, 16));
  EXPECT_EQ(ragged.edges(), (std::vector<std::int32_t>{16, 32, 40}));
  EXPECT_THROW(AdaptiveBuckets(config(40, 4, 16)), Error);
}

TEST(AdaptiveBuckets, DefaultEdgesAreGeometric) {
  AdaptiveBuckets b(config(2048, 16, 16));
  expect_valid_edges(b);
  EXPECT_EQ(b.edges().front(), 16);
  EXPECT_EQ(b.recalibrations(), 0);
  // Ratios between consecutive edges stay near ρ = 128^(1/15) ≈ 1.38 once rounding stops
  // dominating.
  for (std::size_t i = 1; i < b.edges().size(); ++i) {
    const double r = static_cast<double>(b.edges()[i]) / b.edges()[i - 1];
    if (b.edges()[i - 1] >= 256) {
      EXPECT_GT(r, 1.2);
      EXPECT_LT(r, 1.6);
    }
  }
  // Many configurations: invariants always hold.
  for (std::int32_t g : {1, 3, 16, 64})
    for (std::int32_t max : {64, 100, 2048, 4097})
      for (std::int32_t k : {1, 2, 7, 16, 64}) {
        if (max < g || k > (max + g - 1) / g) continue;
        AdaptiveBuckets x(config(max, k, g));
        expect_valid_edges(x);
      }
}

TEST(AdaptiveBuckets, ReserveForIsSmallestEdgeAtLeastPrediction) {
  AdaptiveBuckets b(config(2048, 16, 16, 64));
  std::mt19937 rng(7);
  std::lognormal_distribution<double> len(std::log(150.0), 0.9);
  for (int i = 0; i < 300; ++i) (void)b.observe(static_cast<std::int32_t>(len(rng)));
  ASSERT_GE(b.recalibrations(), 4);
  expect_valid_edges(b);
  const auto& e = b.edges();
  for (std::int32_t p = -5; p <= 2100; ++p) {
    const std::int32_t clamped = std::clamp(p, 1, 2048);
    const std::int32_t expected = *std::lower_bound(e.begin(), e.end(), clamped);
    ASSERT_EQ(b.reserve_for(p), expected) << "p = " << p;
  }
  EXPECT_EQ(b.reserve_for(e[3]), e[3]);  // an edge reserves itself
  EXPECT_EQ(b.reserve_for(e[3] + 1), e[4]);
  EXPECT_EQ(b.reserve_for(0), e[0]);
  EXPECT_EQ(b.reserve_for(1 << 30), 2048);
}

TEST(AdaptiveBuckets, RecalibratesEveryNObservations) {
  AdaptiveBuckets b(config(1024, 8, 16, 50));
  std::mt19937 rng(3);
  std::uniform_int_distribution<std::int32_t> len(1, 1024);  // stationary: no drift expected
  std::int64_t triggered = 0;
  const std::int64_t n = 1000;
  for (std::int64_t i = 1; i <= n; ++i) {
    const bool r = b.observe(len(rng));
    triggered += r;
    EXPECT_EQ(r, i % 50 == 0) << "observation " << i;
    expect_valid_edges(b);
  }
  EXPECT_EQ(triggered, n / 50);
  EXPECT_EQ(b.recalibrations(), n / 50);
  EXPECT_EQ(b.drift_recalibrations(), 0);
}

TEST(AdaptiveBuckets, EdgesAreTheOptimalPartitionOfTheHistogram) {
  AdaptiveBuckets b(config(2048, 16, 16, 100000, 1e9));
  std::mt19937 rng(11);
  std::lognormal_distribution<double> len(std::log(200.0), 1.0);
  for (int i = 0; i < 2000; ++i) (void)b.observe(static_cast<std::int32_t>(len(rng)));
  b.recalibrate();
  expect_valid_edges(b);
  // Waste of the chosen edges equals the quadratic DP's optimum, and the reported figure matches a
  // direct per-length evaluation.
  const auto& h = b.histogram();
  const std::vector<double> mass = h.masses();
  std::vector<std::int32_t> upper;
  for (std::int32_t i = 0; i < h.bins(); ++i) upper.push_back(h.upper(i));
  const Partition ref = optimal_partition_quadratic(mass, upper, 16);
  double used = 0;
  for (double x : h.length_sums()) used += x;
  EXPECT_NEAR(b.expected_waste(), (ref.cost - used) / h.total(), 1e-9 * ref.cost / h.total());
}

// ρ of waste bound (2): max(1, max_{i≥2} (e_i − g) / e_{i−1}).
double geometric_rho(const std::vector<std::int32_t>& geo, std::int32_t granule) {
  double rho = 1;
  for (std::size_t i = 1; i < geo.size(); ++i)
    rho = std::max(rho, static_cast<double>(geo[i] - granule) / geo[i - 1]);
  return rho;
}

TEST(AdaptiveBuckets, StatedGeometricRatioForDefaults) {
  // The header quotes ρ = 1.373 and e_1 = 16 for the default config.
  const auto geo = AdaptiveBuckets::geometric_edges(AdaptiveBucketsConfig{});
  EXPECT_NEAR(geometric_rho(geo, 16), 1.373, 5e-4);
  EXPECT_EQ(geo.front(), 16);
}

// Waste bound (1)-(3) of adaptive_buckets.h on random histograms.
TEST(AdaptiveBuckets, WasteBoundHolds) {
  std::mt19937 rng(5);
  const std::int64_t trials = odma::testing::scaled(40, 5);
  for (std::int64_t t = 0; t < trials; ++t) {
    const std::int32_t k = std::uniform_int_distribution<std::int32_t>(2, 16)(rng);
    AdaptiveBuckets b(config(2048, k, 16, 1 << 30));
    const double mu = std::uniform_real_distribution<double>(2.0, 7.0)(rng);
    const double sigma = std::uniform_real_distribution<double>(0.2, 1.5)(rng);
    std::lognormal_distribution<double> len(mu, sigma);
    std::vector<std::int32_t> seen;
    for (int i = 0; i < 500; ++i) {
      seen.push_back(std::clamp(static_cast<std::int32_t>(len(rng)), 1, 2048));
      (void)b.observe(seen.back());
    }
    b.recalibrate();
    const auto& h = b.histogram();
    const double w = b.expected_waste();
    // (1) vs reference partitions: geometric, equal-width, equal-mass.
    const auto geo = AdaptiveBuckets::geometric_edges(b.config());
    std::vector<std::int32_t> width, eqmass;
    for (std::int32_t i = 1; i <= k; ++i)
      width.push_back(i == k ? 2048 : 16 * ((2048 / 16) * i / k));
    std::vector<std::int32_t> sorted = seen;
    std::sort(sorted.begin(), sorted.end());
    for (std::int32_t i = 1; i < k; ++i) {
      std::int32_t q =
          sorted[sorted.size() * static_cast<std::size_t>(i) / static_cast<std::size_t>(k)];
      q = (q + 15) / 16 * 16;
      if (!eqmass.empty()) q = std::max(q, eqmass.back() + 16);
      eqmass.push_back(std::min(q, 2048 - 16 * (k - i)));
    }
    eqmass.push_back(2048);
    const double slack = 1e-9 * (1 + w);
    EXPECT_LE(w, h.expected_waste(geo) + slack);
    EXPECT_LE(w, h.expected_waste(width) + slack);
    EXPECT_LE(w, h.expected_waste(eqmass) + slack);
    // (2) closed form through the geometric partition.
    const double rho = geometric_rho(geo, 16);
    EXPECT_LE(h.expected_waste(geo), (rho - 1) * h.mean() + geo.front() + slack);
    // ... and per length, not only on average.
    for (std::int32_t l : seen) {
      const std::int32_t e = *std::lower_bound(geo.begin(), geo.end(), l);
      EXPECT_LT(e - l, (rho - 1) * l + geo.front());
    }
    // (3) worst case per request.
    for (std::int32_t l : seen) {
      const std::int32_t edge = b.reserve_for(l);
      const auto it = std::lower_bound(b.edges().begin(), b.edges().end(), l);
      const std::int32_t below = it == b.edges().begin() ? 0 : *(it - 1);
      EXPECT_LE(edge - l, edge - below - 1);
      EXPECT_GE(edge - l, 0);
    }
  }
}

TEST(AdaptiveBuckets, ObserveClampsOutOfRangeLengths) {
  AdaptiveBuckets b(config(256, 4, 16, 4));
  for (std::int32_t len : {0, -7, 100000, 300}) (void)b.observe(len);
  EXPECT_EQ(b.recalibrations(), 1);
  // 0 and −7 count as length 1 (3 and 2 observations ago), 100000 and 300 as 256 (1 and 0 ago).
  const double r = std::exp2(1.0 / 4096);
  EXPECT_NEAR(b.histogram().mass(0), std::pow(r, -3) + std::pow(r, -2), 1e-12);
  EXPECT_NEAR(b.histogram().mass(b.histogram().bins() - 1), std::pow(r, -1) + 1, 1e-12);
  double rest = 0;
  for (std::int32_t i = 1; i + 1 < b.histogram().bins(); ++i) rest += b.histogram().mass(i);
  EXPECT_EQ(rest, 0);
  expect_valid_edges(b);
  EXPECT_EQ(b.edges().back(), 256);
}

}  // namespace
}  // namespace odma::kv
