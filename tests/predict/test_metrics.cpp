#include <gtest/gtest.h>

#include <random>

#include "base/error.h"
#include "kv/s3_buckets.h"
#include "predict/metrics.h"
#include "test_scale.h"

namespace odma::predict {
namespace {

// Five requests computed by hand: truth 10, 20, 30, 40, 250; prediction 12, 20, 25, 100, 90;
// reservation 15, 19, 30, 100, 300.
TEST(Metrics, FiveRecordFixture) {
  const std::vector<std::int32_t> truth{10, 20, 30, 40, 250};
  const std::vector<double> pred{12, 20, 25, 100, 90};
  const std::vector<std::int32_t> reserved{15, 19, 30, 100, 300};
  const kv::S3Buckets s3(2048, 10);
  std::vector<std::int32_t> tb, pb;
  for (int i = 0; i < 5; ++i) {
    tb.push_back(s3.bucket_of(truth[i]));
    pb.push_back(s3.bucket_of(static_cast<std::int32_t>(pred[i])));
  }
  EXPECT_DOUBLE_EQ(bucket_accuracy(tb, pb), 4.0 / 5);             // 250 → bucket 1, 90 → 0
  EXPECT_DOUBLE_EQ(mean_absolute_error(truth, pred), 227.0 / 5);  // 2 + 0 + 5 + 60 + 160
  EXPECT_DOUBLE_EQ(coverage(truth, reserved), 4.0 / 5);           // 19 < 20
  EXPECT_DOUBLE_EQ(mean_over_reservation(truth, reserved), 115.0 / 5);  // 5 + 0 + 0 + 60 + 50
  // Of the 10 pairs only (40 → 100, 250 → 90) is discordant: tau = (9 − 1) / 10.
  EXPECT_DOUBLE_EQ(kendall_tau(pred, std::vector<double>(truth.begin(), truth.end())), 8.0 / 10);
}

TEST(Metrics, KendallMatchesQuadraticReferenceWithTies) {
  std::mt19937_64 rng(42);
  for (int trial = 0; trial < 20; ++trial) {
    const auto n = static_cast<std::size_t>(odma::testing::scaled(300, 20));
    std::vector<double> x(n), y(n);
    std::uniform_int_distribution<int> small(0, trial % 2 == 0 ? 5 : 1000);  // many ties or few
    for (std::size_t i = 0; i < n; ++i) {
      x[i] = small(rng);
      y[i] = (trial % 3 == 0) ? x[i] + small(rng) : small(rng);
    }
    EXPECT_NEAR(kendall_tau(x, y), kendall_tau_reference(x, y), 1e-12) << "trial " << trial;
  }
}

TEST(Metrics, KendallExtremes) {
  std::vector<double> a{1, 2, 3, 4}, b{4, 3, 2, 1}, c{7, 7, 7, 7};
  EXPECT_DOUBLE_EQ(kendall_tau(a, a), 1.0);
  EXPECT_DOUBLE_EQ(kendall_tau(a, b), -1.0);
  EXPECT_DOUBLE_EQ(kendall_tau(a, c), 0.0);  // constant side: defined as 0
}

TEST(Metrics, BadInputThrows) {
  EXPECT_THROW(bucket_accuracy({}, {}), Error);
  EXPECT_THROW(coverage({1, 2}, {1}), Error);
  EXPECT_THROW(kendall_tau({1.0}, {1.0, 2.0}), Error);
}

}  // namespace
}  // namespace odma::predict
