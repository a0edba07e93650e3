// GEMV over INT8 weights with dynamically quantized INT8 activations (W8A8), for t ≤ 8 token rows:
//   y[i][r] = (float)(Σ_k xq[i][k] · q[r][k]) · (sx[i] · scale[r])  (+ beta · y[i][r])
// q, scale: the weights (int8_weights.h; row-major [out][in], one F32 scale per output row).
// xq, sx: each token row of x quantized once per call (Int8Activations):
//   sx = max_k |x[k]| / 127,  xq[k] = round_half_even(x[k] · (127 / max_k |x[k]|)) ∈ [-127, 127]
// (a zero row: sx = 0, xq = 0). The dot product is an exact integer, whatever the kernel and
// order, so every kernel gives the same bits as the scalar one; then one int → F32 conversion
// (round to nearest even), sx · scale rounded once, one product, and beta · y added.
// Preconditions: in ≤ 65536 (255 · 127 · in < 2^31: no int32 overflow in any kernel).
//
// Kernels (Int8Kernel), all streaming each weight row once for all t token rows:
//   kScalar      plain integer loop; the fallback and the test reference.
//   kAvx2        AVX2: both operands widened to int16, vpmaddwd into int32 lanes.
//   kAvx512Vnni  AVX512-VNNI vpdpbusd: 64 u8 × s8 products a 4-way sum per lane per instruction;
//                activations stored as xq + 128 (u8), corrected by 128 · Σ_k q[r][k] (kept
//                beside the scales) at the end.
// default_int8_kernel(isa): scalar → kScalar; avx2, avx512 → kAvx2; avx512bf16, amx → kAvx512Vnni
// when the CPU has AVX512-VNNI (every AVX512-BF16 CPU so far: Cooper Lake, Sapphire Rapids,
// Zen 4/5), else kAvx2. Why W8A8 and not widening the weights to F32: docs/model.md (measured).
#pragma once

#include <cstddef>
#include <cstdint>

#include "model/cpu/aligned_buffer.h"
#include "model/cpu/cpu_features.h"

namespace odma::model::cpu {

enum class Int8Kernel { kScalar, kAvx2, kAvx512Vnni };

Int8Kernel default_int8_kernel(Isa isa = active_isa());
bool int8_kernel_supported(Int8Kernel kernel);
const char* int8_kernel_name(Int8Kernel kernel);

constexpr int kInt8MaxIn = 65536;

// Token rows quantized for one kernel: xq as s8 (kScalar, kAvx2) or as xq + 128 (kAvx512Vnni),
// each row padded with the zero point to a multiple of 64 bytes, 64-byte aligned; one scale per
// row. Reuse one object across calls (it allocates only to grow).
class Int8Activations {
 public:
  // Room for t rows of `in` values; then quantize() fills them (from any threads, disjoint rows).
  // Throws odma::Error unless t ≥ 1 and 1 ≤ in ≤ kInt8MaxIn.
  void reset(int t, int in, Int8Kernel kernel);
  // Rows [r0, r1) of x ([t][in] F32).
  void quantize(const float* x, int r0, int r1);

  int t() const { return t_; }
  int in() const { return in_; }
  Int8Kernel kernel() const { return kernel_; }
  std::size_t stride() const { return stride_; }
  const std::uint8_t* row(int i) const {
    return bytes_.data() + static_cast<std::size_t>(i) * stride_;
  }
  const float* scales() const { return scales_.data(); }

 private:
  AlignedBuffer<std::uint8_t> bytes_;
  AlignedBuffer<float> scales_;
  std::size_t stride_ = 0;
  int t_ = 0, in_ = 0;
  Int8Kernel kernel_ = Int8Kernel::kScalar;
};

// Token rows [t0, t0 + t) (1 ≤ t ≤ 8) of y = x · Wᵀ + beta · y for output rows [row_begin,
// row_end), y [x.t()][out]; q [out][x.in()], scales and row_sums one per row. Runs x's kernel;
// throws odma::Error if this CPU lacks it or a range is out of bounds.
void gemv_int8(const Int8Activations& x, int t0, int t, const std::int8_t* q, const float* scales,
               const std::int32_t* row_sums, int out, float* y, float beta, int row_begin,
               int row_end);

}  // namespace odma::model::cpu
