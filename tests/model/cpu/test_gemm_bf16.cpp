// Prefill GEMM over BF16 weights: every kernel within a derived bound of an F64 reference; the
// AVX512-BF16 kernel and the AMX driver (tile emulation) bitwise equal to plain loops of their
// documented order (so the VNNI-2 packing and the tile walk are checked here, without AMX); the
// AMX hardware kernel against the emulation where AMX exists (skipped with the reason elsewhere);
// column splits, batch independence, beta, errors.
#include "model/cpu/gemm_bf16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "base/error.h"
#include "cpu_test_util.h"
#include "model/cpu/gemv_bf16.h"

namespace odma::model::cpu {
namespace {

constexpr GemmKernel kAll[] = {GemmKernel::kScalar, GemmKernel::kGemvTiles, GemmKernel::kAvx512Bf16,
                               GemmKernel::kAmx, GemmKernel::kAmxEmulated};

std::vector<GemmKernel> available() {
  std::vector<GemmKernel> out;
  for (GemmKernel k : kAll)
    if (isa_supported(required_isa(k))) out.push_back(k);
  return out;
}

bool rounds_activations(GemmKernel k) {
  return k == GemmKernel::kAvx512Bf16 || k == GemmKernel::kAmx || k == GemmKernel::kAmxEmulated ||
         (k == GemmKernel::kGemvTiles && default_gemv_kernel() == GemvKernel::kAvx512Bf16);
}

struct Problem {
  int m, out, in;
  std::vector<float> x, y0;
  std::vector<std::uint16_t> w;
  float beta;
};

Problem make(int m, int out, int in, float beta, std::mt19937& rng) {
  return {m,
          out,
          in,
          test::random_floats(static_cast<std::size_t>(m) * in, rng),
          test::random_floats(static_cast<std::size_t>(m) * out, rng),
          test::random_bf16(static_cast<std::size_t>(out) * in, rng),
          beta};
}

std::vector<float> run(const Problem& p, GemmKernel k, int split = 0) {
  const PackedGemmWeights w = PackedGemmWeights::pack(p.w.data(), p.out, p.in, k);
  GemmInput in;
  in.prepare(p.x.data(), p.m, p.in, k);
  std::vector<float> y = p.y0;
  if (split == 0) {
    gemm_bf16(in, w, y.data(), p.beta, 0, p.out);
  } else {  // uneven whole-panel pieces, last one first
    std::vector<int> cuts = {0};
    for (int c = w.panel_cols() * split; c < p.out; c += w.panel_cols() * (1 + cuts.size() % 3))
      cuts.push_back(c);
    cuts.push_back(p.out);
    for (std::size_t i = cuts.size() - 1; i > 0; --i)
      gemm_bf16(in, w, y.data(), p.beta, cuts[i - 1], cuts[i]);
  }
  return y;
}

float wf(const Problem& p, int n, int k) {
  return k < p.in ? to_f32(p.w[static_cast<std::size_t>(n) * p.in + k]) : 0.0f;
}
float xb(const Problem& p, int m, int k) {
  return k < p.in ? to_f32(to_bf16(p.x[static_cast<std::size_t>(m) * p.in + k])) : 0.0f;
}
float finish(const Problem& p, int m, int n, float acc) {
  const float y0 = p.y0[static_cast<std::size_t>(m) * p.out + n];
  return p.beta == 0.0f ? acc : acc + p.beta * y0;
}

// kAvx512Bf16's order: k pairs j in order, per pair (vdpbf16ps) the odd product then the even one.
// kAmx's (SDM TDPBF16PS, which the emulation implements): the even product then the odd one.
std::vector<float> plain_order(const Problem& p, bool even_first) {
  std::vector<float> y = p.y0;
  const int pairs = (p.in + 31) / 32 * 16;
  for (int m = 0; m < p.m; ++m)
    for (int n = 0; n < p.out; ++n) {
      float acc = 0.0f;
      for (int j = 0; j < pairs; ++j) {
        const float pe = wf(p, n, 2 * j) * xb(p, m, 2 * j);
        const float po = wf(p, n, 2 * j + 1) * xb(p, m, 2 * j + 1);
        if (even_first) {
          acc = acc + pe;
          acc = acc + po;
        } else {
          acc = acc + po;
          acc = acc + pe;
        }
      }
      y[static_cast<std::size_t>(m) * p.out + n] = finish(p, m, n, acc);
    }
  return y;
}

// As for the GEMV: |err| ≤ 2^-8·S (activation rounding, where it applies) + n·u·(S(1 + 2^-8) +
// |β·y0|), n = in + 8 (a sequential sum of in terms, the longest chain any kernel has).
void check_bound(const Problem& p, const std::vector<float>& y, GemmKernel k) {
  const bool rounded = rounds_activations(k);
  for (int m = 0; m < p.m; ++m)
    for (int n = 0; n < p.out; ++n) {
      double ref = 0.0, s = 0.0;
      for (int i = 0; i < p.in; ++i) {
        const double t = double{p.x[static_cast<std::size_t>(m) * p.in + i]} * wf(p, n, i);
        ref += t;
        s += std::fabs(t);
      }
      const double y0 = p.y0[static_cast<std::size_t>(m) * p.out + n];
      if (p.beta != 0.0f) ref += double{p.beta} * y0;
      const double c = (p.in + 8.0) * test::kU32;
      const double b =
          rounded ? test::kUBf16 * s + c * (s * (1 + test::kUBf16) + std::fabs(p.beta * y0))
                  : c * (s + std::fabs(p.beta * y0));
      ASSERT_LE(std::fabs(y[static_cast<std::size_t>(m) * p.out + n] - ref), b)
          << gemm_kernel_name(k) << " m " << p.m << " out " << p.out << " in " << p.in << " at ("
          << m << ", " << n << ")";
    }
}

TEST(GemmBf16, EveryKernelIsWithinTheDerivedBoundOfAnF64Reference) {
  std::mt19937 rng(31);
  for (GemmKernel k : available())
    for (int m : {1, 5, 9, 33, 70})
      for (int in : {1, 31, 32, 33, 100, 257})
        for (int out : {1, 17, 64, 65, 100})
          for (float beta : {0.0f, 1.0f}) {
            const Problem p = make(m, out, in, beta, rng);
            check_bound(p, run(p, k), k);
          }
}

TEST(GemmBf16, Avx512Bf16KernelIsBitwiseItsDocumentedOrder) {
  if (!isa_supported(Isa::kAvx512Bf16)) GTEST_SKIP() << "no AVX512-BF16 on this CPU";
  std::mt19937 rng(32);
  for (int m : {1, 6, 7, 13, 40})
    for (int in : {1, 2, 31, 64, 97})
      for (int out : {1, 63, 64, 65, 130}) {
        const Problem p = make(m, out, in, m % 2 == 0 ? 0.0f : 0.5f, rng);
        const auto want = plain_order(p, false), got = run(p, GemmKernel::kAvx512Bf16);
        ASSERT_EQ(0, std::memcmp(want.data(), got.data(), want.size() * 4))
            << "m " << m << " in " << in << " out " << out;
      }
}

// The AMX driver's packing, tile loads/strides, tile walk and stores, under the tile emulation,
// against a plain loop: any indexing slip changes values.
TEST(GemmBf16, AmxDriverUnderTileEmulationIsBitwiseThePlainSdmOrder) {
  std::mt19937 rng(33);
  for (int m : {1, 15, 16, 17, 32, 33, 70})
    for (int in : {1, 31, 32, 33, 64, 100})
      for (int out : {1, 15, 16, 17, 31, 32, 33, 64, 70}) {
        const Problem p = make(m, out, in, m % 2 == 0 ? 0.0f : -0.5f, rng);
        const auto want = plain_order(p, true), got = run(p, GemmKernel::kAmxEmulated);
        ASSERT_EQ(0, std::memcmp(want.data(), got.data(), want.size() * 4))
            << "m " << m << " in " << in << " out " << out;
      }
}

TEST(GemmBf16, AmxHardwareMatchesTheEmulationWithinTheBound) {
  if (!isa_supported(Isa::kAmx)) {
    const CpuFeatures& f = cpu_features();
    GTEST_SKIP() << "AMX not usable here: "
                 << (f.amx_tile && f.amx_bf16 ? f.amx_note
                                              : std::string("the CPU has no AMX-TILE/AMX-BF16"))
                 << " (the AMX driver is covered by the tile-emulation test)";
  }
  std::mt19937 rng(34);
  double worst = 0.0;
  for (int m : {1, 17, 32, 70, 512})
    for (int in : {31, 64, 896})
      for (int out : {17, 64, 100}) {
        const Problem p = make(m, out, in, 0.0f, rng);
        const auto hw = run(p, GemmKernel::kAmx), emu = run(p, GemmKernel::kAmxEmulated);
        check_bound(p, hw, GemmKernel::kAmx);
        for (std::size_t i = 0; i < hw.size(); ++i)
          worst = std::max(worst, double{std::fabs(hw[i] - emu[i])});
      }
  std::printf("[ amx ] max |hardware - emulation| = %.3g\n", worst);
}

TEST(GemmBf16, ColumnSplitsAndBatchCompositionChangeNoBit) {
  std::mt19937 rng(35);
  for (GemmKernel k : available()) {
    const Problem p = make(37, 200, 96, 0.0f, rng);
    const auto whole = run(p, k);
    ASSERT_EQ(0, std::memcmp(whole.data(), run(p, k, 1).data(), whole.size() * 4))
        << gemm_kernel_name(k);
    // Row 20 alone gives the same bits as inside the 37-row call.
    Problem one = p;
    one.m = 1;
    one.x.assign(p.x.begin() + 20 * p.in, p.x.begin() + 21 * p.in);
    one.y0.assign(p.y0.begin() + 20 * p.out, p.y0.begin() + 21 * p.out);
    const auto alone = run(one, k);
    ASSERT_EQ(0, std::memcmp(alone.data(), whole.data() + 20 * p.out, alone.size() * 4))
        << gemm_kernel_name(k);
  }
}

TEST(GemmBf16, ActivationsConvertedInRowBlocksEqualOnePrepare) {
  std::mt19937 rng(38);
  for (GemmKernel k : available()) {
    const Problem p = make(77, 70, 50, 0.0f, rng);
    const auto want = run(p, k);
    const auto w = PackedGemmWeights::pack(p.w.data(), p.out, p.in, k);
    GemmInput in;
    in.reset(p.x.data(), p.m, p.in, k);
    in.convert_rows(64, p.m);  // any order, as threads would
    in.convert_rows(0, 32);
    in.convert_rows(32, 64);
    std::vector<float> y = p.y0;
    gemm_bf16(in, w, y.data(), 0.0f, 0, p.out);
    ASSERT_EQ(0, std::memcmp(want.data(), y.data(), y.size() * 4)) << gemm_kernel_name(k);
    EXPECT_THROW(in.convert_rows(8, 40), Error);
  }
}

TEST(GemmBf16, BetaZeroOverwritesWhateverYHolds) {
  std::mt19937 rng(36);
  for (GemmKernel k : available()) {
    Problem p = make(9, 70, 40, 0.0f, rng);
    const auto want = run(p, k);
    std::fill(p.y0.begin(), p.y0.end(), std::numeric_limits<float>::quiet_NaN());
    const auto got = run(p, k);
    ASSERT_EQ(0, std::memcmp(want.data(), got.data(), want.size() * 4)) << gemm_kernel_name(k);
  }
}

TEST(GemmBf16, RejectsMismatchesBadRangesAndUnavailableKernels) {
  std::mt19937 rng(37);
  const Problem p = make(9, 100, 40, 0.0f, rng);
  std::vector<float> y(p.y0);
  const auto w = PackedGemmWeights::pack(p.w.data(), p.out, p.in, GemmKernel::kAmxEmulated);
  GemmInput in;
  in.prepare(p.x.data(), p.m, p.in, GemmKernel::kScalar);
  EXPECT_THROW(gemm_bf16(in, w, y.data(), 0.0f, 0, p.out), Error);  // prepared for another kernel
  in.prepare(p.x.data(), p.m, p.in, GemmKernel::kAmxEmulated);
  EXPECT_THROW(gemm_bf16(in, w, y.data(), 0.0f, 16, p.out), Error);  // not a panel boundary
  EXPECT_THROW(gemm_bf16(in, w, y.data(), 0.0f, 0, p.out + 1), Error);
  EXPECT_NO_THROW(gemm_bf16(in, w, y.data(), 0.0f, 32, p.out));
  EXPECT_THROW(PackedGemmWeights::pack(p.w.data(), 0, p.in), Error);
  for (GemmKernel k : kAll)
    if (!isa_supported(required_isa(k))) {
      const auto wk = PackedGemmWeights::pack(p.w.data(), p.out, p.in, k);
      GemmInput ik;
      ik.prepare(p.x.data(), p.m, p.in, k);
      EXPECT_THROW(gemm_bf16(ik, wk, y.data(), 0.0f, 0, p.out), Error) << gemm_kernel_name(k);
    }
}

TEST(GemmBf16, DefaultKernelFollowsTheIsaOverride) {
  EXPECT_EQ(default_gemm_kernel(Isa::kScalar), GemmKernel::kScalar);
  EXPECT_EQ(default_gemm_kernel(Isa::kAvx2), GemmKernel::kGemvTiles);
  EXPECT_EQ(default_gemm_kernel(Isa::kAvx512Bf16), GemmKernel::kAvx512Bf16);
  for (Isa isa : supported_isas()) {
    ScopedIsaOverride cap(isa);
    EXPECT_EQ(default_gemm_kernel(), default_gemm_kernel(active_isa()));
    EXPECT_LE(static_cast<int>(active_isa()), static_cast<int>(isa));
  }
}

}  // namespace
}  // namespace odma::model::cpu
