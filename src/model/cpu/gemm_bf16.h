// Prefill GEMM over BF16 weights: y[m][out] = x[m][in] · W[out][in]ᵀ + beta · y for any number of
// token rows m (meant for m > kGemvMaxTokens; e.g. 512 tokens × 896 → 4864), W BF16 row-major
// [out][in] (HF layout), x and y F32. The caller splits output columns over threads in whole
// panels (panel_cols() columns each).
//
// Kernels (GemmKernel):
//   kScalar       the scalar GEMV kernel over 8-row tiles (reference; slow).
//   kGemvTiles    the default GEMV kernel of the active ISA over 8-row tiles: each weight row is
//                 read once per 8 tokens (from cache). For AVX2 / AVX-512F CPUs.
//   kAvx512Bf16   own blocked kernel: 6 token rows × 64 output columns of F32 accumulators in
//                 registers, vdpbf16ps of a packed weight panel against broadcast BF16 activation
//                 pairs. Activations rounded to BF16 (rel. error ≤ 2^-8 per product).
//   kAmx          AMX-BF16: 32 × 32 output blocks in four tiles, A tiles from BF16 activations,
//                 B tiles from weights pre-packed in the VNNI-2 layout. Runs only where
//                 detected_isa() is kAmx (AMX-TILE + AMX-BF16, OS tile state, Linux permission).
//   kAmxEmulated  the kAmx driver (same packing, tile walk and stores) with every tile instruction
//                 emulated in scalar code per the Intel SDM (TDPBF16PS: per k pair, the even
//                 product then the odd one, each rounded to F32). Tests the AMX indexing on any
//                 CPU.
// default_gemm_kernel(isa): kScalar, kGemvTiles, kGemvTiles, kAvx512Bf16, kAmx for kScalar … kAmx.
//
// Per-output order: kAvx512Bf16 adds the k pairs in order, one vdpbf16ps each (odd then even
// product). kAmx: hardware order within a TDPBF16PS of 16 k pairs, blocks of 32 k in order. A
// token's row never depends on the other rows in the call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "model/cpu/gemv_bf16.h"

#include "model/cpu/cpu_features.h"

namespace odma::model::cpu {

enum class GemmKernel { kScalar, kGemvTiles, kAvx512Bf16, kAmx, kAmxEmulated };

GemmKernel default_gemm_kernel(Isa isa = active_isa());
Isa required_isa(GemmKernel kernel);
const char* gemm_kernel_name(GemmKernel kernel);

class GemmInput;

// Weights laid out once (at load time) for one kernel:
//   kScalar, kGemvTiles  W itself (not copied: W must outlive this object).
//   kAvx512Bf16          panels of 64 columns; panel p, k pair j (in padded to even): 64 dwords,
//                        dword c = (W[64p + c][2j], W[64p + c][2j + 1]); zero padding.
//   kAmx, kAmxEmulated   panels of 32 columns; per panel, per 32-value k block b (in padded to 32):
//                        two 1 KiB B tiles (columns 0–15, 16–31 of the panel), tile row j (k pair
//                        16b + j) = 16 dwords (W[n][32b + 2j], W[n][32b + 2j + 1]) — the VNNI-2
//                        layout TDPBF16PS reads; zero padding.
class PackedGemmWeights {
 public:
  // Throws odma::Error for out or in < 1.
  static PackedGemmWeights pack(const std::uint16_t* w, int out, int in,
                                GemmKernel kernel = default_gemm_kernel());
  int out() const { return out_; }
  int in() const { return in_; }
  GemmKernel kernel() const { return kernel_; }
  int panel_cols() const { return panel_cols_; }
  int panels() const { return (out_ + panel_cols_ - 1) / panel_cols_; }
  std::size_t bytes() const { return bytes_; }  // packed bytes held (0 when W is referenced)
  const std::uint16_t* data() const { return data_ != nullptr ? data_.get() : w_; }

 private:
  struct Free {
    void operator()(std::uint16_t* p) const;
  };
  std::unique_ptr<std::uint16_t, Free> data_;
  const std::uint16_t* w_ = nullptr;
  int out_ = 0, in_ = 0, panel_cols_ = 1, k_pad_ = 0;
  std::size_t bytes_ = 0;
  GemmKernel kernel_ = GemmKernel::kScalar;
  friend void gemm_bf16(const GemmInput&, const PackedGemmWeights&, float*, float, int, int);
};

// Output columns per panel of `kernel` (1 for the GEMV kernels): the unit column ranges come in.
int gemm_panel_cols(GemmKernel kernel);

// Activations prepared once per call, shared read-only by all threads' column ranges:
//   panel kernels   x rounded to BF16, [m_pad][in rounded up to 32], zero padding
//   GEMV kernels    one GemvInput per 8-row tile
// Reuse one object: it allocates only when it needs more room. Either prepare() on one thread, or
// reset() then convert_rows() on disjoint row ranges from several threads (the conversion is
// ~1/8 of a 512-token call's time at in = 4864 if left on one thread).
class GemmInput {
 public:
  // x: m rows of `in` floats; must outlive the calls (the GEMV kernels may read it directly).
  void prepare(const float* x, int m, int in, GemmKernel kernel);
  void reset(const float* x, int m, int in, GemmKernel kernel);
  // Rows [row_begin, row_end), both multiples of kRowBlock (or row_end ≥ m).
  void convert_rows(int row_begin, int row_end);
  static constexpr int kRowBlock = 32;
  int m() const { return m_; }

 private:
  friend void gemm_bf16(const GemmInput&, const PackedGemmWeights&, float*, float, int, int);
  friend void gemm_bf16_rowmajor(const GemmInput&, const std::uint16_t*, int, int, float*, float,
                                 int, int);
  struct Free {
    void operator()(std::uint16_t* p) const;
  };
  std::unique_ptr<std::uint16_t, Free> a_;
  std::size_t capacity_ = 0;
  std::vector<GemvInput> tiles_;
  const float* x_ = nullptr;
  int m_ = 0, m_pad_ = 0, in_ = 0, k_pad_ = 0;
  GemmKernel kernel_ = GemmKernel::kScalar;
};

// Columns [col_begin, col_end) of y ([m][out], row stride out). col_begin must be a multiple of
// panel_cols(); col_end a multiple or out. Throws odma::Error for mismatched x / w (in, kernel),
// bad ranges, or a kernel whose ISA this CPU lacks.
void gemm_bf16(const GemmInput& x, const PackedGemmWeights& w, float* y, float beta, int col_begin,
               int col_end);

// The same product over W in its checkpoint layout (row-major [out][in], no packed copy held):
// each panel of [col_begin, col_end) is packed into this thread's scratch (≤ 64 × in values, in
// L2) when the call reaches it, then multiplied by every row of x. Weights are thus read once per
// call, as with pre-packed ones, and the engine keeps one copy of them (a 7B model in 15 GB, not
// 30). Results are bitwise those of gemm_bf16 on PackedGemmWeights::pack(w, out, in, kernel) for
// x's kernel. Same preconditions and errors.
void gemm_bf16_rowmajor(const GemmInput& x, const std::uint16_t* w, int out, int in, float* y,
                        float beta, int col_begin, int col_end);

}  // namespace odma::model::cpu
