// INT8 GEMV (W8A8): activation quantization as documented; every kernel bitwise equal to a plain
// integer reference (the dot product is exact, so order cannot matter); that reference within a
// derived bound of F64 over the dequantized weights; row ranges, token tiles, errors, dispatch.
#include "model/cpu/gemv_int8.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "base/error.h"
#include "cpu_test_util.h"

namespace odma::model::cpu {
namespace {

using test::kU32;
using test::random_floats;

constexpr Int8Kernel kAllKernels[] = {Int8Kernel::kScalar, Int8Kernel::kAvx2,
                                      Int8Kernel::kAvx512Vnni};

std::vector<Int8Kernel> available_kernels() {
  std::vector<Int8Kernel> out;
  for (Int8Kernel k : kAllKernels)
    if (int8_kernel_supported(k)) out.push_back(k);
  return out;
}

// Quantized weights as int8_weights.h makes them (rows of random int8 values and scales).
struct Weights {
  int out, in;
  std::vector<std::int8_t> q;
  std::vector<float> scales;
  std::vector<std::int32_t> sums;
};

Weights random_weights(int out, int in, std::mt19937& rng) {
  Weights w{out, in, std::vector<std::int8_t>(static_cast<std::size_t>(out) * in),
            random_floats(static_cast<std::size_t>(out), rng, 0.01f),
            std::vector<std::int32_t>(static_cast<std::size_t>(out))};
  std::uniform_int_distribution<int> d(-127, 127);
  for (int r = 0; r < out; ++r) {
    for (int k = 0; k < in; ++k) {
      const auto v = static_cast<std::int8_t>(d(rng));
      w.q[static_cast<std::size_t>(r) * in + k] = v;
      w.sums[static_cast<std::size_t>(r)] += v;
    }
    w.scales[static_cast<std::size_t>(r)] = std::abs(w.scales[static_cast<std::size_t>(r)]);
  }
  return w;
}

// The signed activation of row i, column k, whatever the kernel's byte layout.
int xq(const Int8Activations& a, int i, int k) {
  const int zp = a.kernel() == Int8Kernel::kAvx512Vnni ? 128 : 0;
  return static_cast<int>(a.row(i)[k]) - (zp == 0 ? (a.row(i)[k] >= 128 ? 256 : 0) : zp);
}

// gemv_int8.h's arithmetic spelled out: exact integer dot, then the documented float steps.
std::vector<float> reference(const Int8Activations& a, const Weights& w,
                             const std::vector<float>& y0, float beta) {
  std::vector<float> y = y0;
  for (int i = 0; i < a.t(); ++i) {
    for (int r = 0; r < w.out; ++r) {
      std::int64_t dot = 0;
      for (int k = 0; k < w.in; ++k)
        dot += xq(a, i, k) * w.q[static_cast<std::size_t>(r) * w.in + k];
      const float v =
          static_cast<float>(dot) * (a.scales()[i] * w.scales[static_cast<std::size_t>(r)]);
      float& dst = y[static_cast<std::size_t>(i) * w.out + r];
      dst = beta == 0.0f ? v : v + beta * dst;
    }
  }
  return y;
}

std::vector<float> run(const Int8Activations& a, const Weights& w, const std::vector<float>& y0,
                       float beta, int row_begin, int row_end) {
  std::vector<float> y = y0;
  for (int t0 = 0; t0 < a.t(); t0 += 8) {
    gemv_int8(a, t0, std::min(8, a.t() - t0), w.q.data(), w.scales.data(), w.sums.data(), w.out,
              y.data(), beta, row_begin, row_end);
  }
  return y;
}

TEST(GemvInt8, ActivationsAreQuantizedPerRowAsDocumented) {
  std::mt19937 rng(1);
  const int in = 100;
  std::vector<float> x = random_floats(3 * in, rng);
  std::fill(x.begin() + 2 * in, x.end(), 0.0f);  // a zero row
  for (Int8Kernel k : available_kernels()) {
    Int8Activations a;
    a.reset(3, in, k);
    a.quantize(x.data(), 0, 3);
    for (int i = 0; i < 3; ++i) {
      float amax = 0.0f;
      for (int c = 0; c < in; ++c)
        amax = std::max(amax, std::abs(x[static_cast<std::size_t>(i) * in + c]));
      ASSERT_EQ(a.scales()[i], amax / 127.0f);
      for (int c = 0; c < in; ++c) {
        const float v = x[static_cast<std::size_t>(i) * in + c];
        const int want = amax == 0.0f ? 0 : static_cast<int>(std::nearbyint(v * (127.0f / amax)));
        ASSERT_EQ(xq(a, i, c), want) << int8_kernel_name(k) << " row " << i << " col " << c;
        // |x − sx · xq| ≤ sx / 2, up to the rounding of 127 / amax and of the product.
        ASSERT_LE(std::abs(v - a.scales()[i] * static_cast<float>(want)),
                  a.scales()[i] / 2 * (1 + 1e-5f) + 1e-30f);
      }
      for (std::size_t c = in; c < a.stride(); ++c) ASSERT_EQ(xq(a, i, static_cast<int>(c)), 0);
    }
  }
}

TEST(GemvInt8, EveryKernelIsBitwiseTheIntegerReference) {
  std::mt19937 rng(2);
  for (int in : {1, 15, 16, 63, 64, 65, 100, 128, 896, 1000}) {
    for (int t = 1; t <= 8; ++t) {
      const Weights w = random_weights(13, in, rng);
      const std::vector<float> x = random_floats(static_cast<std::size_t>(t) * in, rng);
      const std::vector<float> y0 = random_floats(static_cast<std::size_t>(t) * w.out, rng);
      for (float beta : {0.0f, 0.5f, 1.0f}) {
        for (Int8Kernel k : available_kernels()) {
          Int8Activations a;
          a.reset(t, in, k);
          a.quantize(x.data(), 0, t);
          const auto want = reference(a, w, y0, beta);
          const auto got = run(a, w, y0, beta, 0, w.out);
          ASSERT_EQ(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)), 0)
              << int8_kernel_name(k) << " in " << in << " t " << t << " beta " << beta;
        }
      }
    }
  }
}

TEST(GemvInt8, RowRangesAndTokenTilesChangeNoBit) {
  std::mt19937 rng(3);
  const int in = 896, t = 19;
  const Weights w = random_weights(70, in, rng);
  const std::vector<float> x = random_floats(static_cast<std::size_t>(t) * in, rng);
  const std::vector<float> y0(static_cast<std::size_t>(t) * w.out, 0.0f);
  for (Int8Kernel k : available_kernels()) {
    Int8Activations a;
    a.reset(t, in, k);
    a.quantize(x.data(), 0, 10);
    a.quantize(x.data(), 10, t);
    const auto whole = run(a, w, y0, 0.0f, 0, w.out);
    std::vector<float> split = y0;
    for (int r0 = 0; r0 < w.out; r0 += 9) {
      for (int t0 = 0; t0 < t; t0 += 3)  // tiles of 3 tokens instead of 8
        gemv_int8(a, t0, std::min(3, t - t0), w.q.data(), w.scales.data(), w.sums.data(), w.out,
                  split.data(), 0.0f, r0, std::min(w.out, r0 + 9));
    }
    EXPECT_EQ(split, whole) << int8_kernel_name(k);
    Int8Activations one;  // a token alone gives the same row as within the batch
    one.reset(1, in, k);
    one.quantize(x.data() + 7 * in, 0, 1);
    const auto alone = run(one, w, std::vector<float>(w.out, 0.0f), 0.0f, 0, w.out);
    EXPECT_TRUE(std::equal(alone.begin(), alone.end(), whole.begin() + 7 * w.out));
  }
}

// Against F64 over the dequantized weights ŵ = scale · q: quantizing x moves each product by at
// most (sx/2 + 3u|x|)·|ŵ| (sx · xq vs x, 127 / amax and x · inv rounded once each), and the
// float steps after the exact integer sum add ≤ 3 roundings of the result (conversion, sx · scale,
// the product), plus beta · y's two.
TEST(GemvInt8, TheReferenceIsWithinTheDerivedBoundOfF64) {
  std::mt19937 rng(4);
  for (int in : {7, 64, 896, 4864}) {
    const int t = 3;
    const Weights w = random_weights(9, in, rng);
    const std::vector<float> x = random_floats(static_cast<std::size_t>(t) * in, rng);
    const std::vector<float> y0 = random_floats(static_cast<std::size_t>(t) * w.out, rng);
    Int8Activations a;
    a.reset(t, in, Int8Kernel::kScalar);
    a.quantize(x.data(), 0, t);
    const float beta = 0.5f;
    const auto y = run(a, w, y0, beta, 0, w.out);
    for (int i = 0; i < t; ++i) {
      for (int r = 0; r < w.out; ++r) {
        double exact = 0, bound = 0, mag = 0;
        for (int k = 0; k < in; ++k) {
          const double wk = static_cast<double>(w.scales[static_cast<std::size_t>(r)]) *
                            w.q[static_cast<std::size_t>(r) * in + k];
          const double xk = x[static_cast<std::size_t>(i) * in + k];
          exact += xk * wk;
          bound += (a.scales()[i] / 2.0 + 3 * kU32 * std::abs(xk)) * std::abs(wk);
          mag += static_cast<double>(a.scales()[i]) * std::abs(xq(a, i, k)) * std::abs(wk);
        }
        const double by = beta * static_cast<double>(y0[static_cast<std::size_t>(i) * w.out + r]);
        bound += 3.01 * kU32 * mag + 2.01 * kU32 * (std::abs(exact) + bound + std::abs(by));
        const double err = std::abs(y[static_cast<std::size_t>(i) * w.out + r] - (exact + by));
        ASSERT_LE(err, bound) << "in " << in << " token " << i << " row " << r;
      }
    }
  }
}

TEST(GemvInt8, RejectsBadArgumentsAndUnavailableKernels) {
  Int8Activations a;
  EXPECT_THROW(a.reset(0, 8, Int8Kernel::kScalar), Error);
  EXPECT_THROW(a.reset(1, kInt8MaxIn + 1, Int8Kernel::kScalar), Error);
  a.reset(2, 8, Int8Kernel::kScalar);
  std::vector<std::int8_t> q(32);
  std::vector<float> s(4), y(8);
  std::vector<std::int32_t> sums(4);
  EXPECT_THROW(gemv_int8(a, 0, 3, q.data(), s.data(), sums.data(), 4, y.data(), 0, 0, 4), Error);
  EXPECT_THROW(gemv_int8(a, 0, 2, q.data(), s.data(), sums.data(), 4, y.data(), 0, 0, 5), Error);
  for (Int8Kernel k : kAllKernels) {
    if (int8_kernel_supported(k)) continue;
    a.reset(1, 8, k);
    EXPECT_THROW(gemv_int8(a, 0, 1, q.data(), s.data(), sums.data(), 4, y.data(), 0, 0, 4), Error);
  }
}

TEST(GemvInt8, DefaultKernelFollowsTheIsaOverride) {
  EXPECT_EQ(default_int8_kernel(Isa::kScalar), Int8Kernel::kScalar);
  EXPECT_EQ(default_int8_kernel(Isa::kAvx2), Int8Kernel::kAvx2);
  EXPECT_EQ(default_int8_kernel(Isa::kAvx512), Int8Kernel::kAvx2);
  EXPECT_EQ(default_int8_kernel(Isa::kAvx512Bf16),
            cpu_features().avx512vnni ? Int8Kernel::kAvx512Vnni : Int8Kernel::kAvx2);
  EXPECT_TRUE(int8_kernel_supported(default_int8_kernel()));
  const ScopedIsaOverride scalar(Isa::kScalar);
  EXPECT_EQ(default_int8_kernel(), Int8Kernel::kScalar);
}

}  // namespace
}  // namespace odma::model::cpu
