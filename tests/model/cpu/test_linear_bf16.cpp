// The engine's BF16 projections (linear_bf16.h): over the thread pool and the fused task split,
// decode rows equal the GEMV kernel on one thread and prefill equals the GEMM on pre-packed
// weights, bitwise; the on-the-fly panel packing (gemm_bf16_rowmajor) handles odd shapes; and the
// kernel seam dispatches mixed F32/BF16 calls correctly.
#include "model/cpu/linear_bf16.h"

#include <gtest/gtest.h>

#include <vector>

#include "base/error.h"
#include "cpu_test_util.h"
#include "model/cpu/cpu_kernels.h"
#include "model/cpu/gemm_bf16.h"
#include "model/cpu/gemv_bf16.h"
#include "model/cpu/linear.h"

namespace odma::model::cpu {
namespace {

ThreadPool& pool() {
  static ThreadPool p(2);
  return p;
}

struct Shape {
  int t, out, in;
};

// Outputs not a multiple of any panel, odd `in` (a half k pair), and all three paths of T.
constexpr Shape kShapes[] = {{1, 200, 96},  {3, 77, 99},   {8, 130, 64},  {9, 200, 96},
                             {37, 130, 99}, {128, 65, 33}, {129, 70, 33}, {200, 130, 99}};

TEST(LinearBf16, DecodeRowsEqualTheGemvKernelAndPrefillEqualsThePackedGemm) {
  std::mt19937 rng(11);
  for (const Shape& s : kShapes) {
    const auto x = test::random_floats(static_cast<std::size_t>(s.t) * s.in, rng);
    const auto wa = test::random_bf16(static_cast<std::size_t>(s.out) * s.in, rng, 0.1f);
    const auto wb = test::random_bf16(static_cast<std::size_t>(s.out) * s.in, rng, 0.1f);
    const auto y0 = test::random_floats(static_cast<std::size_t>(s.t) * s.out, rng);
    // Two projections in one call: the second accumulates (beta = 1), as the residual adds do.
    std::vector<float> ya(y0.size()), yb = y0;
    const Projection ps[] = {{WeightRef{DType::kBF16, wa.data()}, s.out, ya.data(), 0.0f},
                             {WeightRef{DType::kBF16, wb.data()}, s.out, yb.data(), 1.0f}};
    linear_bf16_fused(x.data(), s.t, s.in, ps, pool());

    std::vector<float> wa_ref(y0.size()), wb_ref = y0;
    if (s.t <= kGemvMaxTokens) {
      gemv_bf16(x.data(), s.t, wa.data(), s.out, s.in, wa_ref.data(), 0.0f, 0, s.out);
      gemv_bf16(x.data(), s.t, wb.data(), s.out, s.in, wb_ref.data(), 1.0f, 0, s.out);
    } else {
      // Up to kTiledMaxTokens the GEMV kernel over 8-token tiles, beyond it the packed GEMM.
      const GemmKernel k = s.t <= kTiledMaxTokens ? GemmKernel::kGemvTiles : default_gemm_kernel();
      GemmInput in;
      in.prepare(x.data(), s.t, s.in, k);
      gemm_bf16(in, PackedGemmWeights::pack(wa.data(), s.out, s.in, k), wa_ref.data(), 0.0f, 0,
                s.out);
      gemm_bf16(in, PackedGemmWeights::pack(wb.data(), s.out, s.in, k), wb_ref.data(), 1.0f, 0,
                s.out);
    }
    EXPECT_EQ(ya, wa_ref) << "t " << s.t << " out " << s.out << " in " << s.in;
    EXPECT_EQ(yb, wb_ref) << "t " << s.t << " out " << s.out << " in " << s.in;
  }
}

TEST(LinearBf16, RowMajorGemmEqualsPackedForEveryPackingKernel) {
  std::mt19937 rng(12);
  for (GemmKernel k : {GemmKernel::kAvx512Bf16, GemmKernel::kAmxEmulated, GemmKernel::kGemvTiles}) {
    if (!isa_supported(required_isa(k))) continue;
    for (const Shape& s : {Shape{13, 130, 99}, Shape{40, 64, 32}, Shape{9, 1, 7}}) {
      const auto x = test::random_floats(static_cast<std::size_t>(s.t) * s.in, rng);
      const auto w = test::random_bf16(static_cast<std::size_t>(s.out) * s.in, rng);
      GemmInput in;
      in.prepare(x.data(), s.t, s.in, k);
      std::vector<float> packed(static_cast<std::size_t>(s.t) * s.out), rowmajor(packed.size());
      gemm_bf16(in, PackedGemmWeights::pack(w.data(), s.out, s.in, k), packed.data(), 0.0f, 0,
                s.out);
      // In two column ranges, as two threads would.
      const int pc = gemm_panel_cols(k);
      const int mid = std::min(s.out, pc * ((s.out / pc + 1) / 2));
      gemm_bf16_rowmajor(in, w.data(), s.out, s.in, rowmajor.data(), 0.0f, 0, mid);
      gemm_bf16_rowmajor(in, w.data(), s.out, s.in, rowmajor.data(), 0.0f, mid, s.out);
      EXPECT_EQ(rowmajor, packed) << gemm_kernel_name(k) << " out " << s.out << " in " << s.in;
    }
  }
}

TEST(LinearBf16, RowMajorGemmRejectsAMismatchedInputAndPartialPanels) {
  if (gemm_panel_cols(default_gemm_kernel()) == 1) GTEST_SKIP() << "GEMV tiles take any column";
  std::mt19937 rng(13);
  const auto x = test::random_floats(16 * 64, rng);
  const auto w = test::random_bf16(128 * 64, rng);
  GemmInput in;
  in.prepare(x.data(), 16, 64, default_gemm_kernel());
  std::vector<float> y(16 * 128);
  EXPECT_THROW(gemm_bf16_rowmajor(in, w.data(), 128, 32, y.data(), 0.0f, 0, 128), Error);
  EXPECT_THROW(gemm_bf16_rowmajor(in, w.data(), 128, 64, y.data(), 0.0f, 3, 128), Error);
}

TEST(LinearBf16, KernelSeamRunsMixedDtypesEachOnItsOwnPath) {
  std::mt19937 rng(14);
  const int t = 2, out = 48, in = 64;
  const auto x = test::random_floats(t * in, rng);
  const auto wb = test::random_bf16(out * in, rng, 0.1f);
  std::vector<float> wf(wb.size());
  for (std::size_t i = 0; i < wb.size(); ++i) wf[i] = to_f32(wb[i]);
  std::vector<float> yb(t * out), yf(t * out), want_b(t * out), want_f(t * out);
  const Projection mixed[] = {{WeightRef{DType::kBF16, wb.data()}, out, yb.data(), 0.0f},
                              {WeightRef{DType::kF32, wf.data()}, out, yf.data(), 0.0f}};
  CpuKernels(pool()).project(x.data(), t, in, mixed);
  gemv_bf16(x.data(), t, wb.data(), out, in, want_b.data(), 0.0f, 0, out);
  linear(x.data(), t, wf.data(), out, in, want_f.data(), 0.0f, pool());
  EXPECT_EQ(yb, want_b);
  EXPECT_EQ(yf, want_f);
}

}  // namespace
}  // namespace odma::model::cpu
