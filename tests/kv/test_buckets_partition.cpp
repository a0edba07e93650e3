// Optimal bucket partition: divide & conquer DP == plain O(K·B²) DP == exhaustive search.
#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "base/error.h"
#include "kv/bucket_partition.h"
#include "test_scale.h"

namespace odma::kv {
namespace {

std::vector<std::int32_t> uppers(std::int32_t bins, std::int32_t granule) {
  std::vector<std::int32_t> u;
  for (std::int32_t b = 0; b < bins; ++b) u.push_back((b + 1) * granule);
  return u;
}

// Integer masses (often zero, sometimes spiky) keep every cost exact in double: equal means equal.
std::vector<double> random_integer_masses(std::mt19937& rng, std::int32_t bins) {
  std::vector<double> m(static_cast<std::size_t>(bins));
  const int style = std::uniform_int_distribution<int>(0, 2)(rng);
  for (auto& x : m) {
    const int r = std::uniform_int_distribution<int>(0, 99)(rng);
    if (style == 0) x = r;                      // dense
    if (style == 1) x = r < 70 ? 0 : r;         // sparse
    if (style == 2) x = r < 95 ? r % 3 : 1000;  // spikes
  }
  return m;
}

void expect_well_formed(const Partition& p, std::int32_t bins, std::int32_t k) {
  ASSERT_EQ(static_cast<std::int32_t>(p.ends.size()), k);
  EXPECT_EQ(p.ends.back(), bins - 1);
  for (std::size_t i = 1; i < p.ends.size(); ++i) EXPECT_LT(p.ends[i - 1], p.ends[i]);
  EXPECT_GE(p.ends.front(), 0);
}

// Exhaustive minimum over all C(B−1, K−1) partitions (tiny B only).
double brute_force(const std::vector<double>& m, const std::vector<std::int32_t>& u,
                   std::int32_t k) {
  const auto bins = static_cast<std::int32_t>(m.size());
  double best = 1e300;
  std::vector<std::int32_t> ends;
  std::function<void(std::int32_t)> rec = [&](std::int32_t from) {
    if (static_cast<std::int32_t>(ends.size()) == k - 1) {
      ends.push_back(bins - 1);
      best = std::min(best, partition_cost(m, u, ends));
      ends.pop_back();
      return;
    }
    for (std::int32_t e = from; e < bins - 1; ++e) {
      ends.push_back(e);
      rec(e + 1);
      ends.pop_back();
    }
  };
  rec(0);
  return best;
}

TEST(BucketPartition, QuadraticDpMatchesExhaustiveSearch) {
  std::mt19937 rng(1);
  for (int t = 0; t < 200; ++t) {
    const std::int32_t bins = std::uniform_int_distribution<std::int32_t>(1, 10)(rng);
    const std::int32_t k = std::uniform_int_distribution<std::int32_t>(1, bins)(rng);
    const auto m = random_integer_masses(rng, bins);
    const auto u = uppers(bins, 16);
    const Partition q = optimal_partition_quadratic(m, u, k);
    expect_well_formed(q, bins, k);
    EXPECT_EQ(q.cost, brute_force(m, u, k));
    EXPECT_EQ(q.cost, partition_cost(m, u, q.ends));
  }
}

TEST(BucketPartition, DivideAndConquerMatchesQuadraticDp) {
  std::mt19937 rng(2);
  const std::int64_t trials = odma::testing::scaled(300, 30);
  for (std::int64_t t = 0; t < trials; ++t) {
    const std::int32_t bins = std::uniform_int_distribution<std::int32_t>(1, 300)(rng);
    const std::int32_t k = std::uniform_int_distribution<std::int32_t>(1, std::min(bins, 40))(rng);
    const auto m = random_integer_masses(rng, bins);
    const auto u = uppers(bins, std::uniform_int_distribution<std::int32_t>(1, 32)(rng));
    const Partition fast = optimal_partition(m, u, k);
    const Partition ref = optimal_partition_quadratic(m, u, k);
    expect_well_formed(fast, bins, k);
    ASSERT_EQ(fast.cost, ref.cost) << "bins " << bins << " k " << k;
    EXPECT_EQ(fast.cost, partition_cost(m, u, fast.ends));
  }
}

TEST(BucketPartition, RealValuedHistogramsAgreeToRounding) {
  std::mt19937 rng(3);
  for (int t = 0; t < 20; ++t) {
    const std::int32_t bins = 512;
    std::vector<double> m(bins);
    std::lognormal_distribution<double> len(4.5, 1.0);
    for (int i = 0; i < 3000; ++i) {
      const auto b = std::min<std::int32_t>(bins - 1, static_cast<std::int32_t>(len(rng) / 4));
      m[static_cast<std::size_t>(b)] += std::exp2(-i / 700.0);  // decayed weights
    }
    const auto u = uppers(bins, 4);
    const Partition fast = optimal_partition(m, u, 16);
    const Partition ref = optimal_partition_quadratic(m, u, 16);
    EXPECT_NEAR(fast.cost, ref.cost, 1e-12 * ref.cost);
    EXPECT_NEAR(partition_cost(m, u, fast.ends), ref.cost, 1e-9 * ref.cost);
  }
}

TEST(BucketPartition, FullSizeProblemMatchesQuadraticDp) {
  // The production shape: 2,048 bins × 16 buckets (one instance: the quadratic DP is slow).
  std::mt19937 rng(4);
  const auto m = random_integer_masses(rng, 2048);
  const auto u = uppers(2048, 1);
  EXPECT_EQ(optimal_partition(m, u, 16).cost, optimal_partition_quadratic(m, u, 16).cost);
}

TEST(BucketPartition, EdgeCases) {
  const std::vector<double> m{5, 0, 0, 3};
  const auto u = uppers(4, 10);
  // K = B: each bin its own segment, cost = Σ m_b·u_b.
  EXPECT_EQ(optimal_partition(m, u, 4).cost, 5 * 10 + 3 * 40);
  // K = 1: everything at the last edge.
  EXPECT_EQ(optimal_partition(m, u, 1).cost, 8 * 40);
  // K = 2: the split goes right after the first bin.
  const Partition p = optimal_partition(m, u, 2);
  EXPECT_EQ(p.cost, 5 * 10 + 3 * 40);
  EXPECT_EQ(p.ends, (std::vector<std::int32_t>{0, 3}));
  // All-zero mass: cost 0, still K well-formed segments.
  const std::vector<double> zero(8, 0.0);
  const Partition z = optimal_partition(zero, uppers(8, 1), 3);
  expect_well_formed(z, 8, 3);
  EXPECT_EQ(z.cost, 0);
}

TEST(BucketPartition, RejectsBadInput) {
  const auto u = uppers(4, 1);
  const std::vector<double> m{1, 2, 3, 4};
  EXPECT_THROW((void)optimal_partition(m, u, 0), Error);
  EXPECT_THROW((void)optimal_partition(m, u, 5), Error);
  EXPECT_THROW((void)optimal_partition(std::vector<double>{1, 2}, u, 1), Error);
  EXPECT_THROW((void)optimal_partition(std::vector<double>{1, -2, 3, 4}, u, 2), Error);
  EXPECT_THROW((void)optimal_partition(m, std::vector<std::int32_t>{1, 3, 3, 4}, 2), Error);
  EXPECT_THROW((void)optimal_partition(std::vector<double>{}, std::vector<std::int32_t>{}, 1),
               Error);
}

}  // namespace
}  // namespace odma::kv
