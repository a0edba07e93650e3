// The engine's INT8 projections (linear_int8.h): over the pool, the fused task split and the
// 8-token tiles, every T gives each token the bits of a one-token call (the sums are exact); the
// result stays within the W8A8 error of the F32 projection on the dequantized weights; and the
// kernel seam sends I8 weights there.
#include "model/cpu/linear_int8.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cpu_test_util.h"
#include "model/cpu/cpu_kernels.h"
#include "model/cpu/linear.h"
#include "model/int8_weights.h"

namespace odma::model::cpu {
namespace {

ThreadPool& pool() {
  static ThreadPool p(2);
  return p;
}

WeightMatrix random_int8(int out, int in, std::mt19937& rng) {
  WeightMatrix m(DType::kF32, out, in);
  const auto v = test::random_floats(static_cast<std::size_t>(out) * in, rng, 0.05f);
  std::copy(v.begin(), v.end(), reinterpret_cast<float*>(m.mutable_data()));
  return quantize_int8(m);
}

TEST(LinearInt8, EveryTokenCountGivesEachTokenTheBitsOfAOneTokenCall) {
  std::mt19937 rng(21);
  const int in = 160;
  const WeightMatrix a = random_int8(200, in, rng), b = random_int8(77, in, rng);
  for (int t : {1, 3, 8, 9, 20, 37}) {
    const auto x = test::random_floats(static_cast<std::size_t>(t) * in, rng);
    const auto yb0 = test::random_floats(static_cast<std::size_t>(t) * 77, rng);
    std::vector<float> ya(static_cast<std::size_t>(t) * 200), yb = yb0;
    const Projection ps[] = {{a.ref(), 200, ya.data(), 0.0f}, {b.ref(), 77, yb.data(), 1.0f}};
    linear_int8_fused(x.data(), t, in, ps, pool());
    for (int i = 0; i < t; ++i) {
      std::vector<float> one_a(200), one_b(yb0.begin() + i * 77, yb0.begin() + (i + 1) * 77);
      const Projection one[] = {{a.ref(), 200, one_a.data(), 0.0f},
                                {b.ref(), 77, one_b.data(), 1.0f}};
      linear_int8_fused(x.data() + static_cast<std::size_t>(i) * in, 1, in, one, pool());
      ASSERT_TRUE(std::equal(one_a.begin(), one_a.end(), ya.begin() + i * 200)) << t << " " << i;
      ASSERT_TRUE(std::equal(one_b.begin(), one_b.end(), yb.begin() + i * 77)) << t << " " << i;
    }
  }
}

// Per output: |y − x · ŵ| ≤ (sx / 2) · Σ|ŵ| (+ float noise), ŵ the dequantized weights; on
// N(0, 1) activations that is a few percent of Σ|x · ŵ| at most.
TEST(LinearInt8, StaysWithinTheActivationQuantizationErrorOfTheF32Projection) {
  std::mt19937 rng(22);
  const int t = 12, out = 64, in = 896;
  const WeightMatrix w = random_int8(out, in, rng);
  WeightMatrix deq(DType::kF32, out, in);
  for (int r = 0; r < out; ++r)
    w.row_to_f32(r,
                 reinterpret_cast<float*>(deq.mutable_data()) + static_cast<std::size_t>(r) * in);
  const auto x = test::random_floats(static_cast<std::size_t>(t) * in, rng);
  std::vector<float> y(static_cast<std::size_t>(t) * out), want(y.size());
  const Projection p{w.ref(), out, y.data(), 0.0f};
  linear_int8_fused(x.data(), t, in, {&p, 1}, pool());
  linear(x.data(), t, deq.f32(), out, in, want.data(), 0.0f, pool());
  for (int i = 0; i < t; ++i) {
    float amax = 0.0f;
    for (int k = 0; k < in; ++k)
      amax = std::max(amax, std::abs(x[static_cast<std::size_t>(i) * in + k]));
    for (int r = 0; r < out; ++r) {
      double l1 = 0;
      for (int k = 0; k < in; ++k) l1 += std::abs(deq.at(r, k));
      const double bound = amax / 127.0 / 2 * l1 * 1.001 + 1e-5 * std::abs(want[i * out + r]);
      ASSERT_LE(std::abs(y[i * out + r] - want[i * out + r]), bound) << i << " " << r;
    }
  }
}

TEST(LinearInt8, KernelSeamSendsInt8WeightsHere) {
  std::mt19937 rng(23);
  const int t = 2, out = 48, in = 64;
  const WeightMatrix w = random_int8(out, in, rng);
  const auto x = test::random_floats(t * in, rng);
  std::vector<float> y(t * out), want(t * out);
  const Projection p{w.ref(), out, y.data(), 0.0f};
  CpuKernels(pool()).project(x.data(), t, in, {&p, 1});
  const Projection q{w.ref(), out, want.data(), 0.0f};
  linear_int8_fused(x.data(), t, in, {&q, 1}, pool());
  EXPECT_EQ(y, want);
}

}  // namespace
}  // namespace odma::model::cpu
