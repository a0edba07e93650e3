// Decode GEMV over BF16 weights: y[t][out] = x[t][in] · W[out][in]ᵀ + beta · y for t ≤ 8 token
// rows, W BF16 row-major [out][in] (the HF checkpoint layout), x and y F32, over output rows
// [row_begin, row_end) so the caller splits rows across threads.
//
// Kernels (GemvKernel), all streaming each weight row once for all t token rows:
//   kScalar      plain loop, 8 partial sums per (row, token); the fallback and the test reference.
//   kAvx2        AVX2+FMA: BF16→F32 by shift/mask, FMA in F32; activations stay F32.
//   kAvx512      AVX-512F: the same with 512-bit vectors; activations stay F32.
//   kAvx512Bf16  vdpbf16ps: activations rounded to BF16 once per call (relative error ≤ 2^-8 per
//                product on top of F32 accumulation; measured in docs/bf16_kernels.md).
// default_gemv_kernel(isa): kScalar→kScalar, kAvx2→kAvx2, kAvx512→kAvx512, kAvx512Bf16 and
// kAmx→kAvx512Bf16: from DRAM it matches kAvx512 at t ≤ 2 and is 1.2–2.3× faster at t = 4–8
// (docs/bf16_kernels.md), for a relative output error of ~2^-9 RMS from rounding x. Where results
// must match F32 activations (reference tests), ask for kAvx512, or run with ODMA_ISA=avx512.
// AMX is not used for t ≤ 8 (tiles are 16 rows).
//
// Reduction order (fixed per kernel, the same for every t and every row range, so a token's row
// never depends on the rows batched with it or on how rows are split over threads):
//   SIMD kernels split `in` into blocks of L = 32 (AVX-512) or 16 (AVX2) values; block b goes to
//   accumulator chain b mod 2; within a block, lane j first adds w[2j]·x[2j] then w[2j+1]·x[2j+1]
//   (one FMA each; for vdpbf16ps the instruction's own order, odd product first). Then the two
//   chains are added lane-wise and the lanes summed by a fixed tree; then y = dot + beta · y
//   (y = dot when beta == 0, so y may hold garbage then). tests/model/cpu/test_gemv_bf16.cpp holds
//   scalar emulations of exactly this order and checks every kernel bitwise against them.
#pragma once

#include <cstdint>
#include "model/cpu/aligned_buffer.h"
#include "model/cpu/cpu_features.h"

namespace odma::model::cpu {

constexpr int kGemvMaxTokens = 8;

enum class GemvKernel { kScalar, kAvx2, kAvx512, kAvx512Bf16 };

GemvKernel default_gemv_kernel(Isa isa = active_isa());
Isa required_isa(GemvKernel kernel);
const char* gemv_kernel_name(GemvKernel kernel);

// Activations prepared once per call, shared read-only by every thread's row range:
//   kScalar     x as given (not copied)
//   kAvx2/512   F32, each block of L values stored as its L/2 even then L/2 odd elements
//   kAvx512Bf16 rounded to BF16, in order
// rows padded with zeros to a whole number of blocks, 64-byte aligned. Reuse one object across
// calls: prepare() allocates only when it needs more room.
class GemvInput {
 public:
  // Preconditions: 1 ≤ t ≤ kGemvMaxTokens, in ≥ 1; x holds t rows of `in` floats and must
  // outlive the calls that use this input (kScalar keeps a pointer to it).
  void prepare(const float* x, int t, int in, GemvKernel kernel);
  int t() const { return t_; }
  int in() const { return in_; }
  GemvKernel kernel() const { return kernel_; }

 private:
  friend void gemv_bf16(const GemvInput&, const std::uint16_t*, int, float*, float, int, int);
  AlignedBuffer<float> f32_;
  AlignedBuffer<std::uint16_t> bf16_;
  const float* x_ = nullptr;
  std::size_t stride_ = 0;  // elements between prepared rows
  int t_ = 0, in_ = 0;
  GemvKernel kernel_ = GemvKernel::kScalar;
};

// Rows [row_begin, row_end) of y for prepared x (its kernel decides which kernel runs). Throws
// odma::Error if that kernel needs an ISA this CPU lacks or the row range is outside [0, out].
void gemv_bf16(const GemvInput& x, const std::uint16_t* w, int out, float* y, float beta,
               int row_begin, int row_end);

// One-shot form: prepares x on this thread (per call; use GemvInput to share it across threads).
void gemv_bf16(const float* x, int t, const std::uint16_t* w, int out, int in, float* y, float beta,
               int row_begin, int row_end, GemvKernel kernel = default_gemv_kernel());

}  // namespace odma::model::cpu
