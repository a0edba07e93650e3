// Decode GEMV over BF16 weights: every kernel within a derived bound of an F64 reference; the SIMD
// kernels bitwise equal to scalar emulations of their documented order (vdpbf16ps: the SDM's
// order); a token's row independent of its batch and of the row split; beta; errors; dispatch.
#include "model/cpu/gemv_bf16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "base/error.h"
#include "cpu_test_util.h"

namespace odma::model::cpu {
namespace {

using test::random_bf16;
using test::random_floats;

constexpr GemvKernel kAllKernels[] = {GemvKernel::kScalar, GemvKernel::kAvx2, GemvKernel::kAvx512,
                                      GemvKernel::kAvx512Bf16};

std::vector<GemvKernel> available_kernels() {
  std::vector<GemvKernel> out;
  for (GemvKernel k : kAllKernels)
    if (isa_supported(required_isa(k))) out.push_back(k);
  return out;
}

struct Problem {
  int t, out, in;
  std::vector<float> x;
  std::vector<std::uint16_t> w;
  std::vector<float> y0;
  float beta;
};

Problem make_problem(int t, int out, int in, float beta, std::mt19937& rng) {
  Problem p{t,
            out,
            in,
            random_floats(static_cast<std::size_t>(t) * in, rng),
            random_bf16(static_cast<std::size_t>(out) * in, rng),
            random_floats(static_cast<std::size_t>(t) * out, rng),
            beta};
  return p;
}

std::vector<float> run(const Problem& p, GemvKernel k) {
  std::vector<float> y = p.y0;
  gemv_bf16(p.x.data(), p.t, p.w.data(), p.out, p.in, y.data(), p.beta, 0, p.out, k);
  return y;
}

float wv(const Problem& p, int r, int k) {
  return k < p.in ? to_f32(p.w[static_cast<std::size_t>(r) * p.in + k]) : 0.0f;
}
float xv(const Problem& p, int t, int k) {
  return k < p.in ? p.x[static_cast<std::size_t>(t) * p.in + k] : 0.0f;
}
float finish(const Problem& p, int t, int r, float dot) {
  const float y0 = p.y0[static_cast<std::size_t>(t) * p.out + r];
  return p.beta == 0.0f ? dot : dot + p.beta * y0;
}

// The documented order of the AVX-512 kernels: 32-value blocks, chain b mod 2, 16 lanes, then
// the hsum8 tree. `bf16_dot`: vdpbf16ps (x rounded, odd product then even, each rounded).
std::vector<float> emulate_avx512(const Problem& p, bool bf16_dot) {
  std::vector<float> y = p.y0;
  const int nb = (p.in + 31) / 32;
  for (int t = 0; t < p.t; ++t) {
    for (int r = 0; r < p.out; ++r) {
      float acc[2][16] = {};
      for (int b = 0; b < nb; ++b) {
        for (int j = 0; j < 16; ++j) {
          const int ke = 32 * b + 2 * j, ko = ke + 1;
          float& a = acc[b % 2][j];
          if (bf16_dot) {
            const float xo = to_f32(to_bf16(xv(p, t, ko))), xe = to_f32(to_bf16(xv(p, t, ke)));
            a = a + wv(p, r, ko) * xo;  // exact product, one rounding per add
            a = a + wv(p, r, ke) * xe;
          } else {
            a = std::fma(xv(p, t, ke), wv(p, r, ke), a);
            a = std::fma(xv(p, t, ko), wv(p, r, ko), a);
          }
        }
      }
      float s[16], f[4];
      for (int j = 0; j < 16; ++j) s[j] = acc[0][j] + acc[1][j];
      for (int i = 0; i < 4; ++i) f[i] = (s[i] + s[i + 8]) + (s[i + 4] + s[i + 12]);
      y[static_cast<std::size_t>(t) * p.out + r] = finish(p, t, r, (f[0] + f[1]) + (f[2] + f[3]));
    }
  }
  return y;
}

// AVX2: 16-value blocks, chain b mod 2, 8 lanes, then (l0+l2)+(l1+l3), l[i] = s[i] + s[i+4].
std::vector<float> emulate_avx2(const Problem& p) {
  std::vector<float> y = p.y0;
  const int nb = (p.in + 15) / 16;
  for (int t = 0; t < p.t; ++t) {
    for (int r = 0; r < p.out; ++r) {
      float acc[2][8] = {};
      for (int b = 0; b < nb; ++b) {
        for (int j = 0; j < 8; ++j) {
          const int ke = 16 * b + 2 * j;
          float& a = acc[b % 2][j];
          a = std::fma(xv(p, t, ke), wv(p, r, ke), a);
          a = std::fma(xv(p, t, ke + 1), wv(p, r, ke + 1), a);
        }
      }
      float s[8], l[4];
      for (int j = 0; j < 8; ++j) s[j] = acc[0][j] + acc[1][j];
      for (int i = 0; i < 4; ++i) l[i] = s[i] + s[i + 4];
      y[static_cast<std::size_t>(t) * p.out + r] = finish(p, t, r, (l[0] + l[2]) + (l[1] + l[3]));
    }
  }
  return y;
}

// |y − y_exact| ≤ (in/8 + 8)·u·(S + |β·y0|) for the F32-activation kernels, where S = Σ|w·x| and
// in/8 + 8 bounds the longest chain of roundings any kernel puts on one term (scalar: in/8 partial
// sum steps + 3 folds + 1; AVX-512: in/32 FMAs + 1 + 4 tree adds + 1). vdpbf16ps adds the BF16
// rounding of x: |x̃ − x| ≤ 2^-8·|x|, i.e. ≤ 2^-8·S in total.
double bound(const Problem& p, int t, int r, bool bf16_activations, double* s_out) {
  double s = 0.0;
  for (int k = 0; k < p.in; ++k) s += std::fabs(double{wv(p, r, k)} * xv(p, t, k));
  const double by = std::fabs(double{p.beta} * p.y0[static_cast<std::size_t>(t) * p.out + r]);
  const double n = p.in / 8.0 + 8.0;
  *s_out = s;
  if (!bf16_activations) return n * test::kU32 * (s + by);
  return test::kUBf16 * s + n * test::kU32 * (s * (1 + test::kUBf16) + by);
}

double reference(const Problem& p, int t, int r) {
  double d = 0.0;
  for (int k = 0; k < p.in; ++k) d += double{wv(p, r, k)} * xv(p, t, k);
  return d +
         (p.beta == 0.0f ? 0.0 : double{p.beta} * p.y0[static_cast<std::size_t>(t) * p.out + r]);
}

// 2000 and 4100 take the k-blocked path (activations > 32 KiB) for the larger t.
constexpr int kIns[] = {1,  2,  15, 16, 17,  31,  32,   33,   47,
                        63, 64, 65, 96, 100, 896, 1001, 2000, 4100};
constexpr int kOuts[] = {1, 3, 37};

TEST(GemvBf16, EveryKernelIsWithinTheDerivedBoundOfAnF64Reference) {
  std::mt19937 rng(11);
  for (GemvKernel k : available_kernels()) {
    double worst = 0.0;  // max |err| / S, reported for the doc
    for (int in : kIns)
      for (int out : kOuts)
        for (int t = 1; t <= kGemvMaxTokens; ++t)
          for (float beta : {0.0f, 1.0f, 0.5f}) {
            const Problem p = make_problem(t, out, in, beta, rng);
            const auto y = run(p, k);
            for (int i = 0; i < t; ++i)
              for (int r = 0; r < out; ++r) {
                double s = 0.0;
                const double b = bound(p, i, r, k == GemvKernel::kAvx512Bf16, &s);
                const double err =
                    std::fabs(y[static_cast<std::size_t>(i) * out + r] - reference(p, i, r));
                if (s > 0 && beta == 0.0f) worst = std::max(worst, err / s);
                ASSERT_LE(err, b) << gemv_kernel_name(k) << " in " << in << " out " << out << " t "
                                  << t << " beta " << beta << " token " << i << " row " << r;
              }
          }
    std::printf("[ gemv %-10s ] max |err| / sum|w·x| (beta 0) = %.3g (2^%.1f)\n",
                gemv_kernel_name(k), worst, std::log2(worst));
  }
}

TEST(GemvBf16, SimdKernelsAreBitwiseTheirDocumentedOrder) {
  std::mt19937 rng(12);
  for (int in : kIns)
    for (int t = 1; t <= kGemvMaxTokens; ++t)
      for (float beta : {0.0f, 0.75f}) {
        const Problem p = make_problem(t, 13, in, beta, rng);
        if (isa_supported(Isa::kAvx2)) {
          const auto want = emulate_avx2(p), got = run(p, GemvKernel::kAvx2);
          ASSERT_EQ(0, std::memcmp(want.data(), got.data(), want.size() * 4))
              << "avx2 in " << in << " t " << t;
        }
        if (isa_supported(Isa::kAvx512)) {
          const auto want = emulate_avx512(p, false), got = run(p, GemvKernel::kAvx512);
          ASSERT_EQ(0, std::memcmp(want.data(), got.data(), want.size() * 4))
              << "avx512 in " << in << " t " << t;
        }
      }
}

// vdpbf16ps as the Intel SDM defines it (passes on AMD Zen 5; a CPU that rounds differently fails
// here and only here: the bound test above still holds for it).
TEST(GemvBf16, Avx512Bf16IsBitwiseTheSdmDefinitionOfVdpbf16ps) {
  if (!isa_supported(Isa::kAvx512Bf16)) GTEST_SKIP() << "no AVX512-BF16 on this CPU";
  std::mt19937 rng(13);
  for (int in : kIns)
    for (int t = 1; t <= kGemvMaxTokens; ++t) {
      const Problem p = make_problem(t, 13, in, 0.25f, rng);
      const auto want = emulate_avx512(p, true), got = run(p, GemvKernel::kAvx512Bf16);
      ASSERT_EQ(0, std::memcmp(want.data(), got.data(), want.size() * 4))
          << "in " << in << " t " << t;
    }
}

TEST(GemvBf16, TokenRowDoesNotDependOnItsBatchOrOnTheRowSplit) {
  std::mt19937 rng(14);
  for (GemvKernel k : available_kernels()) {
    for (int in : {33, 896, 4100}) {
      const int out = 45;
      const Problem p = make_problem(kGemvMaxTokens, out, in, 0.0f, rng);
      const auto batched = run(p, k);
      for (int t = 0; t < kGemvMaxTokens; ++t) {
        // Alone, and at the end of a smaller batch of other rows.
        for (int size : {1, 3, kGemvMaxTokens}) {
          std::vector<float> x;
          for (int i = 0; i < size - 1; ++i) {
            const int other = (t + 1 + i) % kGemvMaxTokens;
            x.insert(x.end(), p.x.begin() + static_cast<std::ptrdiff_t>(other) * in,
                     p.x.begin() + static_cast<std::ptrdiff_t>(other + 1) * in);
          }
          x.insert(x.end(), p.x.begin() + static_cast<std::ptrdiff_t>(t) * in,
                   p.x.begin() + static_cast<std::ptrdiff_t>(t + 1) * in);
          std::vector<float> y(static_cast<std::size_t>(size) * out);
          // Rows in uneven pieces, as threads would take them.
          GemvInput input;
          input.prepare(x.data(), size, in, k);
          for (int r0 = 0; r0 < out;) {
            const int r1 = std::min(out, r0 + 1 + (r0 * 7) % 11);
            gemv_bf16(input, p.w.data(), out, y.data(), 0.0f, r0, r1);
            r0 = r1;
          }
          ASSERT_EQ(0, std::memcmp(y.data() + static_cast<std::size_t>(size - 1) * out,
                                   batched.data() + static_cast<std::size_t>(t) * out, out * 4))
              << gemv_kernel_name(k) << " in " << in << " token " << t << " batch " << size;
        }
      }
    }
  }
}

TEST(GemvBf16, BetaZeroOverwritesWhateverYHolds) {
  std::mt19937 rng(15);
  for (GemvKernel k : available_kernels()) {
    Problem p = make_problem(3, 9, 70, 0.0f, rng);
    const auto want = run(p, k);
    std::fill(p.y0.begin(), p.y0.end(), std::numeric_limits<float>::quiet_NaN());
    const auto got = run(p, k);
    ASSERT_EQ(0, std::memcmp(want.data(), got.data(), want.size() * 4)) << gemv_kernel_name(k);
  }
}

TEST(GemvBf16, RejectsBadArgumentsAndUnavailableKernels) {
  std::vector<float> x(16), y(4);
  std::vector<std::uint16_t> w(64);
  EXPECT_THROW(gemv_bf16(x.data(), 0, w.data(), 4, 16, y.data(), 0.0f, 0, 4), Error);
  EXPECT_THROW(gemv_bf16(x.data(), 9, w.data(), 4, 16, y.data(), 0.0f, 0, 4), Error);
  EXPECT_THROW(gemv_bf16(x.data(), 1, w.data(), 4, 16, y.data(), 0.0f, 2, 5), Error);
  for (GemvKernel k : kAllKernels) {
    if (!isa_supported(required_isa(k))) {
      EXPECT_THROW(gemv_bf16(x.data(), 1, w.data(), 4, 16, y.data(), 0.0f, 0, 4, k), Error);
    }
  }
}

TEST(GemvBf16, DefaultKernelFollowsTheIsaOverride) {
  for (Isa isa : supported_isas()) {
    ScopedIsaOverride cap(isa);
    const GemvKernel k = default_gemv_kernel();
    EXPECT_LE(static_cast<int>(required_isa(k)), static_cast<int>(isa)) << isa_name(isa);
    EXPECT_EQ(k, default_gemv_kernel(active_isa()));
    EXPECT_LE(static_cast<int>(active_isa()), static_cast<int>(isa));
  }
  EXPECT_EQ(default_gemv_kernel(Isa::kScalar), GemvKernel::kScalar);
  EXPECT_EQ(default_gemv_kernel(Isa::kAvx2), GemvKernel::kAvx2);
}

}  // namespace
}  // namespace odma::model::cpu
