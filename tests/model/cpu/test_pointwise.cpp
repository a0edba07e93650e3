// The dispatched row kernels of pointwise.h: RMSNorm and RoPE bitwise against scalar emulations of
// their stated order, SwiGLU bitwise equal across ISA levels and within a stated bound of an F64
// evaluation, tails (lengths not a multiple of 16) included. Rounded products in the emulations go
// through a non-inlined mul(), so the compiler cannot fuse them into FMAs behind our back.
#include "model/cpu/pointwise.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "base/error.h"
#include "cpu_test_util.h"

namespace odma::model::cpu {
namespace {

using test::random_floats;

[[gnu::noinline]] float mul(float a, float b) {
  return a * b;
}

std::uint32_t bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

// pointwise.h's order: 16 F64 lanes (lane k takes x[16m + k]) folded in lane order.
std::vector<float> rms_norm_reference(const std::vector<float>& x, const std::vector<float>& w,
                                      float eps) {
  const int n = static_cast<int>(x.size());
  double lanes[16] = {};
  for (int i = 0; i < n; ++i) lanes[i % 16] += static_cast<double>(x[i]) * x[i];
  double ss = 0.0;
  for (const double l : lanes) ss += l;
  const auto r = static_cast<float>(1.0 / std::sqrt(ss / n + static_cast<double>(eps)));
  std::vector<float> y(x.size());
  for (int i = 0; i < n; ++i) y[i] = mul(mul(x[i], r), w[i]);
  return y;
}

TEST(Pointwise, RmsNormRowIsTheF64LaneSumAtEveryIsa) {
  std::mt19937 rng(7);
  for (const int n : {1, 5, 16, 17, 64, 100, 896, 1000}) {
    const std::vector<float> x = random_floats(static_cast<std::size_t>(n), rng, 3.0f);
    const std::vector<float> w = random_floats(static_cast<std::size_t>(n), rng);
    const std::vector<float> want = rms_norm_reference(x, w, 1e-6f);
    for (const Isa isa : supported_isas()) {
      std::vector<float> y(x.size());
      rms_norm_row(x.data(), n, w.data(), 1e-6f, y.data(), isa);
      for (int i = 0; i < n; ++i)
        ASSERT_EQ(bits(y[i]), bits(want[i])) << isa_name(isa) << " n=" << n << " i=" << i;
    }
  }
}

TEST(Pointwise, RmsNormRowStaysWithinTwoUlpOfASequentialF64Sum) {
  // The forward pass summed x² sequentially in F64 before the lanes; only r's rounding can move.
  std::mt19937 rng(8);
  const int n = 896;
  int equal = 0, rows = 200;
  for (int row = 0; row < rows; ++row) {
    const std::vector<float> x = random_floats(n, rng, 2.0f);
    const std::vector<float> w = random_floats(n, rng);
    double ss = 0.0;
    for (const float v : x) ss += static_cast<double>(v) * v;
    const auto r = static_cast<float>(1.0 / std::sqrt(ss / n + 1e-6));
    std::vector<float> y(n);
    rms_norm_row(x.data(), n, w.data(), 1e-6f, y.data());
    bool same = true;
    for (int i = 0; i < n; ++i) {
      const float old = mul(mul(x[i], r), w[i]);
      ASSERT_LE(std::fabs(y[i] - old), 2 * std::ldexp(std::fabs(old), -23)) << row << " " << i;
      same = same && y[i] == old;
    }
    equal += same ? 1 : 0;
  }
  EXPECT_GE(equal, rows * 9 / 10);  // almost every row bit for bit
}

TEST(Pointwise, RopeRowFusesTheCosineProductsAtEveryIsa) {
  std::mt19937 rng(9);
  for (const int head_dim : {2, 8, 34, 64, 128}) {
    const int heads = 3, half = head_dim / 2;
    const std::vector<float> x = random_floats(static_cast<std::size_t>(heads * head_dim), rng);
    std::vector<float> cos(static_cast<std::size_t>(half)), sin(cos.size());
    for (int j = 0; j < half; ++j) {
      cos[j] = static_cast<float>(std::cos(0.37 * j + 0.1));
      sin[j] = static_cast<float>(std::sin(0.37 * j + 0.1));
    }
    std::vector<float> want = x;
    for (int h = 0; h < heads; ++h) {
      float* v = want.data() + h * head_dim;
      for (int j = 0; j < half; ++j) {
        const float a = v[j], b = v[j + half];
        v[j] = std::fma(a, cos[j], -mul(b, sin[j]));
        v[j + half] = std::fma(b, cos[j], mul(a, sin[j]));
      }
    }
    for (const Isa isa : supported_isas()) {
      std::vector<float> y = x;
      rope_row(y.data(), heads, head_dim, cos.data(), sin.data(), isa);
      for (std::size_t i = 0; i < y.size(); ++i)
        ASSERT_EQ(bits(y[i]), bits(want[i])) << isa_name(isa) << " hd=" << head_dim << " " << i;
    }
  }
}

// silu(g) · u in F64, the definition the kernel approximates.
double swiglu_f64(float g, float u) {
  return static_cast<double>(g) / (1.0 + std::exp(-static_cast<double>(g))) * u;
}

TEST(Pointwise, SwigluRowIsTheSameOnEveryIsaAndWithinFourUlpOfF64) {
  std::mt19937 rng(10);
  std::vector<float> g = random_floats(4099, rng, 4.0f);
  const std::vector<float> u = random_floats(g.size(), rng);
  // Edges: zeros, the exp polynomial's clamp (−87) and past it, huge magnitudes.
  const float edges[] = {0.0f,   -0.0f, 1e-30f, -1e-30f, 20.0f, -20.0f, 86.9f,
                         -86.9f, 87.5f, -87.5f, 1e4f,    -1e4f, 1e30f,  -1e30f};
  for (std::size_t i = 0; i < std::size(edges); ++i) g[i * 7] = edges[i];
  std::vector<float> scalar = g;
  swiglu_row(scalar.data(), u.data(), g.size(), Isa::kScalar);
  for (const Isa isa : supported_isas()) {
    std::vector<float> y = g;
    swiglu_row(y.data(), u.data(), g.size(), isa);
    for (std::size_t i = 0; i < y.size(); ++i)
      ASSERT_EQ(bits(y[i]), bits(scalar[i])) << isa_name(isa) << " g=" << g[i];
  }
  for (std::size_t i = 0; i < g.size(); ++i) {
    const double want = swiglu_f64(g[i], u[i]);
    // Below −87 the polynomial's input is clamped: silu(g) ≈ g · e^−87, a value under 1e−35.
    const double bound = g[i] < -87.0f ? 1e-35 * std::fabs(g[i] * u[i])
                                       : 4 * std::ldexp(std::fabs(want), -24) + 4e-45;
    ASSERT_LE(std::fabs(scalar[i] - want), bound) << "g=" << g[i] << " u=" << u[i];
  }
}

TEST(Pointwise, NanStaysNan) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const Isa isa : supported_isas()) {
    float g[3] = {nan, 1.0f, nan};
    const float u[3] = {1.0f, nan, 2.0f};
    swiglu_row(g, u, 3, isa);
    for (const float v : g) EXPECT_TRUE(std::isnan(v)) << isa_name(isa);
  }
}

TEST(Pointwise, ALevelAboveTheCpusBestThrows) {
  if (detected_isa() == Isa::kAmx) GTEST_SKIP() << "this CPU runs every level";
  float x[16] = {}, w[16] = {};
  EXPECT_THROW(rms_norm_row(x, 16, w, 1e-6f, x, Isa::kAmx), Error);
  EXPECT_THROW(rope_row(x, 1, 16, w, w, Isa::kAmx), Error);
  EXPECT_THROW(swiglu_row(x, w, 16, Isa::kAmx), Error);
}

}  // namespace
}  // namespace odma::model::cpu
