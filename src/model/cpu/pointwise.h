// Per-row vector math of the forward pass (RMSNorm, RoPE rotation, SwiGLU), dispatched at run
// time: AVX-512 (pointwise_avx512.cpp) at Isa::kAvx512 and above, scalar below. Both paths do the
// same operations in the same order (fused multiply-adds only where stated, explicit on both), so
// they give the same bits whatever the level (the tests check it). Math: model/kernels.h.
// CpuKernels loops these over a step's rows (cpu_kernels_pointwise.cpp).
//
// Each throws odma::Error if `isa` is above detected_isa().
#pragma once

#include <cstddef>

#include "model/cpu/cpu_features.h"

namespace odma::model::cpu {

// y = x · r · w (each product rounded), r = 1 / √(Σ x² / n + eps): Σ x² over 16 F64 partial
// sums (lane k takes x[16m + k], folded in lane order), r rounded to F32 once.
void rms_norm_row(const float* x, int n, const float* w, float eps, float* y,
                  Isa isa = active_isa());

// Rotate-half RoPE of one token row of `heads` heads in place; cos/sin hold head_dim / 2 angles.
// (a, b) → (fma(a, cos, −(b · sin)), fma(b, cos, a · sin)): std::fma on the scalar path.
void rope_row(float* x, int heads, int head_dim, const float* cos, const float* sin,
              Isa isa = active_isa());

// gate[i] = silu(gate[i]) · up[i] for i < n, silu(g) = g / (1 + e^−g), evaluated as
//   e = exp(−|g|);  g ≥ 0: g / (1 + e);  g < 0: (g · e) / (1 + e)
// so exp never overflows; exp is the Cephes polynomial of vector_math.h's exp_nonpositive.
void swiglu_row(float* gate, const float* up, std::size_t n, Isa isa = active_isa());

}  // namespace odma::model::cpu
