// Quantiles and moments as numpy computes them (the figures vLLM's benchmark prints).
#include <gtest/gtest.h>

#include <cmath>

#include "base/quantiles.h"

namespace odma {
namespace {

TEST(Quantiles, InterpolateLinearlyBetweenOrderStatisticsLikeNumpy) {
  const QuantileSummary s = summarize({4, 1, 3, 2, 5});
  EXPECT_EQ(s.count, 5);
  EXPECT_DOUBLE_EQ(s.mean, 3);
  EXPECT_DOUBLE_EQ(s.p50, 3);
  EXPECT_DOUBLE_EQ(s.p90, 4.6);                // numpy.percentile([1, 2, 3, 4, 5], 90)
  EXPECT_DOUBLE_EQ(s.p99, 4.96);               // numpy.percentile([1, 2, 3, 4, 5], 99)
  EXPECT_DOUBLE_EQ(s.stddev, std::sqrt(2.0));  // numpy.std (ddof = 0)
}

TEST(Quantiles, EvenSampleMedianIsTheMidpointAndEndsAreExact) {
  const std::vector<double> v = {10, 20, 30, 40};
  EXPECT_DOUBLE_EQ(quantile_sorted(v, 0.5), 25);
  EXPECT_DOUBLE_EQ(quantile_sorted(v, 0.0), 10);
  EXPECT_DOUBLE_EQ(quantile_sorted(v, 1.0), 40);
  EXPECT_DOUBLE_EQ(quantile_sorted(v, 0.25), 17.5);  // numpy.percentile([10..40], 25)
}

TEST(Quantiles, EmptyAndSingleSamples) {
  EXPECT_EQ(summarize({}).count, 0);
  EXPECT_EQ(summarize({}).p99, 0);
  const QuantileSummary one = summarize({7});
  EXPECT_EQ(one.p50, 7);
  EXPECT_EQ(one.p99, 7);
  EXPECT_EQ(one.stddev, 0);
}

}  // namespace
}  // namespace odma
