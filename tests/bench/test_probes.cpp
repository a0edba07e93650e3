// The bench's probes: the decode curve and the read-bandwidth measurement over arbitrary spans.
#include <gtest/gtest.h>

#include <vector>

#include "bench/decode_curve.h"
#include "bench/kernels.h"
#include "serve/serve_test_util.h"

namespace odma::bench {
namespace {

TEST(BenchProbes, DecodeCurveHasOnePointPerBatchWithConsistentRates) {
  const auto model = serve::testing::tiny_random_model();
  const auto curve = measure_decode_curve(*model, {1, 3, 8}, 40, 2);
  ASSERT_EQ(curve.size(), 3u);
  for (std::size_t i = 0; i < curve.size(); ++i) {
    EXPECT_EQ(curve[i].batch, std::vector<int>({1, 3, 8})[i]);
    EXPECT_GT(curve[i].step_s, 0.0);
    EXPECT_DOUBLE_EQ(curve[i].tokens_per_s, curve[i].batch / curve[i].step_s);
  }
}

TEST(BenchProbes, ReadBandwidthCoversOddSpansAndIsZeroForNothing) {
  std::vector<float> a(1000, 1.0f), b(70000, 2.0f), c(3, 3.0f);
  EXPECT_GT(
      measure_read_gbps({{a.data(), a.size()}, {b.data(), b.size()}, {c.data(), c.size()}}, 0.01),
      0.0);
  EXPECT_EQ(measure_read_gbps(std::vector<std::pair<const float*, std::size_t>>{}, 0.01), 0.0);
}

}  // namespace
}  // namespace odma::bench
