// LengthHistogram: binning, lazy exponential decay, renormalisation, waste evaluation.
#include <gtest/gtest.h>

#include <cmath>

#include "kv/length_histogram.h"
#include "test_scale.h"

namespace odma::kv {
namespace {

TEST(LengthHistogram, BinsAreGranuleWide) {
  LengthHistogram h(100, 16, 1e300);
  EXPECT_EQ(h.bins(), 7);  // ⌈100/16⌉
  EXPECT_EQ(h.bin_of(1), 0);
  EXPECT_EQ(h.bin_of(16), 0);
  EXPECT_EQ(h.bin_of(17), 1);
  EXPECT_EQ(h.bin_of(100), 6);
  EXPECT_EQ(h.bin_of(0), 0);     // clamped
  EXPECT_EQ(h.bin_of(5000), 6);  // clamped
  EXPECT_EQ(h.upper(0), 16);
  EXPECT_EQ(h.upper(5), 96);
  EXPECT_EQ(h.upper(6), 100);  // the ragged last bin ends at max_length
}

TEST(LengthHistogram, DecayHalvesWeightEveryHalfLife) {
  const double half_life = 100;
  LengthHistogram h(1024, 16, half_life);
  h.add(10);  // bin 0
  for (int i = 0; i < 100; ++i) h.add(500);
  // The first observation is 100 observations old: weight 1/2 relative to the newest.
  EXPECT_NEAR(h.mass(0), 0.5, 1e-12);
  for (int i = 0; i < 200; ++i) h.add(500);
  EXPECT_NEAR(h.mass(0), 0.125, 1e-12);
  // Total = Σ_{n=0}^{300} 2^(−n/100): geometric series.
  const double r = std::exp2(-1.0 / half_life);
  EXPECT_NEAR(h.total(), (1 - std::pow(r, 301)) / (1 - r), 1e-9);
  EXPECT_EQ(h.observations(), 301);
  // Mean weighs lengths by their decayed weights.
  EXPECT_NEAR(h.mean(), (0.125 * 10 + (h.total() - 0.125) * 500) / h.total(), 1e-9);
}

TEST(LengthHistogram, RenormalisationKeepsWeights) {
  // Half-life 1: scale doubles per observation and passes 1e100 after ~333 observations, so a few
  // thousand observations renormalise several times; weights must read back as 2^(−age).
  LengthHistogram h(64, 1, 1.0);
  const std::int64_t n = odma::testing::scaled(5000, 2000);
  for (std::int64_t i = 0; i < n; ++i) h.add(static_cast<std::int32_t>(1 + i % 64));
  // Bin of length L holds ages a ≡ (n − 1 − (L − 1)) mod 64, newest age 0: Σ_j 2^(−(a0 + 64j)).
  for (std::int32_t len : {1, 17, 64}) {
    const std::int64_t last_index = (n - 1) - (((n - 1) - (len - 1)) % 64 + 64) % 64;
    const double a0 = static_cast<double>(n - 1 - last_index);
    EXPECT_NEAR(h.mass(len - 1), std::exp2(-a0) / (1 - std::exp2(-64.0)), 1e-12) << len;
  }
  EXPECT_NEAR(h.total(), 2.0, 1e-12);  // Σ_{a≥0} 2^(−a)
  EXPECT_TRUE(std::isfinite(h.effective_samples()));
  EXPECT_NEAR(h.effective_samples(), 4.0 / (4.0 / 3.0), 1e-9);  // (Σw)²/Σw² = 4 / (4/3)
}

TEST(LengthHistogram, ClearForgets) {
  LengthHistogram h(256, 16, 50);
  for (int i = 0; i < 100; ++i) h.add(200);
  h.clear();
  EXPECT_EQ(h.total(), 0);
  EXPECT_EQ(h.observations(), 0);
  EXPECT_EQ(h.mean(), 0);
  h.add(30);
  EXPECT_DOUBLE_EQ(h.mass(1), 1.0);
  EXPECT_DOUBLE_EQ(h.total(), 1.0);
}

TEST(LengthHistogram, ExpectedWasteIsExactPerLength) {
  LengthHistogram h(64, 16, 1e300);  // no decay
  for (std::int32_t len : {1, 5, 16, 17, 40, 64}) h.add(len);
  // Edges {16, 64}: lengths 1, 5, 16 → 16; 17, 40, 64 → 64. Waste = 15+11+0+47+24+0 = 97 over 6.
  const std::vector<std::int32_t> edges{16, 64};
  EXPECT_NEAR(h.expected_waste(edges), 97.0 / 6, 1e-12);
  const std::vector<std::int32_t> fine{16, 32, 48, 64};
  EXPECT_NEAR(h.expected_waste(fine), (15 + 11 + 0 + 15 + 8 + 0) / 6.0, 1e-12);
  EXPECT_NEAR(h.effective_samples(), 6.0, 1e-12);
  LengthHistogram empty(64, 16, 10);
  EXPECT_EQ(empty.expected_waste(edges), 0);
  EXPECT_EQ(empty.effective_samples(), 0);
}

}  // namespace
}  // namespace odma::kv
