// vLLM's bucket sets: valid histogram bounds, vLLM's 1-2-5 rule, and the resolution each header
// comment claims (the widest ratio between neighbouring bounds).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "server/prometheus.h"
#include "server/prometheus_buckets.h"

namespace odma::server::prometheus {
namespace {

double widest_step(std::span<const double> b) {
  double worst = 0;
  for (std::size_t i = 1; i < b.size(); ++i) worst = std::max(worst, b[i] / b[i - 1]);
  return worst;
}

TEST(PrometheusBuckets, EverySetIsAValidHistogram) {
  EXPECT_NO_THROW(Histogram h(kTimeToFirstTokenSeconds));
  EXPECT_NO_THROW(Histogram h(kInterTokenLatencySeconds));
  EXPECT_NO_THROW(Histogram h(kRequestLatencySeconds));
  EXPECT_NO_THROW(Histogram h(kTimePerPrefillTokenSeconds));
  EXPECT_NO_THROW(Histogram h(kIterationTokens));
  EXPECT_NO_THROW(Histogram h(kRequestParamsN));
}

TEST(PrometheusBuckets, ResolutionIsAsDocumented) {
  EXPECT_DOUBLE_EQ(widest_step(kTimeToFirstTokenSeconds), 5.0);
  EXPECT_DOUBLE_EQ(widest_step(kInterTokenLatencySeconds), 2.5);
  EXPECT_DOUBLE_EQ(widest_step(kRequestLatencySeconds), 4.0);
  EXPECT_DOUBLE_EQ(widest_step(kTimePerPrefillTokenSeconds), 2.5);
  EXPECT_DOUBLE_EQ(widest_step(kIterationTokens), 8.0);
  EXPECT_DOUBLE_EQ(widest_step(buckets_1_2_5(1000000)), 2.5);
}

TEST(PrometheusBuckets, OneTwoFiveUpToTheMaximumAsVllmBuildsThem) {
  EXPECT_EQ(buckets_1_2_5(100), (std::vector<double>{1, 2, 5, 10, 20, 50, 100}));
  EXPECT_EQ(buckets_1_2_5(4096),
            (std::vector<double>{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000}));
}

TEST(PrometheusBuckets, OneTwoFiveOfSmallMaximums) {
  EXPECT_EQ(buckets_1_2_5(0), std::vector<double>{});
  EXPECT_EQ(buckets_1_2_5(1), std::vector<double>{1});
  EXPECT_EQ(buckets_1_2_5(4), (std::vector<double>{1, 2}));
}

TEST(PrometheusBuckets, OneTwoFiveOfTheLargestMaximumDoesNotOverflow) {
  const std::vector<double> b = buckets_1_2_5(std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(b.size(), 57u);  // 1e0 .. 5e18
  EXPECT_EQ(b.back(), 5e18);
}

}  // namespace
}  // namespace odma::server::prometheus
