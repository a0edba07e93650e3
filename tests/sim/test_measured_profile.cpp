// measured_profile(): the cpu-local profile `odma bench` builds from the engine's own figures.
#include <gtest/gtest.h>

#include "base/error.h"
#include "sim/measured_profile.h"
#include "sim_fixtures.h"

namespace odma::sim {
namespace {

MeasuredFigures figures() {
  MeasuredFigures f;
  f.read_bytes_per_s = 40e9;
  f.kernel_rates = {{64, 4e9}, {1024, 12e9}, {1 << 19, 32e9}};
  f.decode_steps = {{1, 0.004}, {16, 0.010}, {32, 0.018}};
  f.decode_ctx = 256;
  f.memory_bytes = 1e10;
  f.provenance = "unit test";
  return f;
}

TEST(MeasuredProfile, AlphaIsKernelRateOverReadBandwidth) {
  const DeviceProfile p = measured_profile(figures(), testing::tiny_shape());
  ASSERT_EQ(p.alpha_curve.size(), 3u);
  EXPECT_DOUBLE_EQ(p.alpha_curve[0].alpha, 0.1);
  EXPECT_DOUBLE_EQ(p.alpha_curve[1].alpha, 0.3);
  EXPECT_DOUBLE_EQ(p.alpha_curve[2].alpha, 0.8);
  EXPECT_DOUBLE_EQ(p.bandwidth_bytes_per_s, 40e9);
  EXPECT_EQ(p.name, "cpu-local");
  EXPECT_NE(p.sources.at("alpha_curve").find("unit test"), std::string::npos);
}

TEST(MeasuredProfile, FlopsAreTheMarginalRateOfTheTwoLargestBatches) {
  const ModelShape s = testing::tiny_shape();
  const DeviceProfile p = measured_profile(figures(), s);
  const double per_token = 2.0 * static_cast<double>(s.body_params() + s.head_params());
  EXPECT_NEAR(p.flops_per_s, 16 * per_token / 0.008, 1e-6 * p.flops_per_s);
}

TEST(MeasuredProfile, OverheadIsBatchOneStepMinusItsRoofline) {
  const ModelShape s = testing::tiny_shape();
  const DeviceProfile p = measured_profile(figures(), s);
  const double roofline = s.weight_read_bytes() / 40e9 +
                          257.0 * static_cast<double>(s.kv_bytes_per_token()) / (0.8 * 40e9);
  EXPECT_NEAR(p.step_overhead_s, 0.004 - roofline, 1e-12);
}

TEST(MeasuredProfile, NonMonotoneRatesAreFlattenedAndCappedAtOne) {
  MeasuredFigures f = figures();
  f.kernel_rates = {{64, 20e9}, {1024, 10e9}, {1 << 19, 60e9}};  // noisy: dips, then beats read
  const DeviceProfile p = measured_profile(f, testing::tiny_shape());
  EXPECT_DOUBLE_EQ(p.alpha_curve[0].alpha, 0.5);
  EXPECT_DOUBLE_EQ(p.alpha_curve[1].alpha, 0.5);
  EXPECT_DOUBLE_EQ(p.alpha_curve[2].alpha, 1.0);
}

TEST(MeasuredProfile, FlatDecodeCurveFallsBackToTheWholeStepRate) {
  MeasuredFigures f = figures();
  f.decode_steps = {{8, 0.02}, {16, 0.02}};  // no marginal cost measurable
  const ModelShape s = testing::tiny_shape();
  const DeviceProfile p = measured_profile(f, s);
  EXPECT_NEAR(p.flops_per_s,
              16 * 2.0 * static_cast<double>(s.body_params() + s.head_params()) / 0.02,
              1e-6 * p.flops_per_s);
}

TEST(MeasuredProfile, RejectsFiguresThatCannotMakeAProfile) {
  const ModelShape s = testing::tiny_shape();
  MeasuredFigures f = figures();
  f.kernel_rates.clear();
  EXPECT_THROW(measured_profile(f, s), Error);
  f = figures();
  f.decode_steps.resize(1);
  EXPECT_THROW(measured_profile(f, s), Error);
  f = figures();
  f.read_bytes_per_s = 0;
  EXPECT_THROW(measured_profile(f, s), Error);
  f = figures();
  f.decode_steps[0].seconds = 0;
  EXPECT_THROW(measured_profile(f, s), Error);
}

}  // namespace
}  // namespace odma::sim
