// Decode GEMV, AVX512-BF16 (compiled with -mavx512f -mavx512bw -mavx512vl -mavx512bf16): vdpbf16ps
// of 32 BF16 weights against 32 BF16-rounded activations per block; lane j adds w[2j+1]·x[2j+1]
// then w[2j]·x[2j], each rounded to F32 (the SDM's order; products are exact; BF16 subnormal inputs
// count as zero). Order otherwise as in gemv_bf16.h. Rules for this file: kernels_internal.h.
#include <immintrin.h>

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which -W(maybe-)uninitialized
// flags (a false positive) once they are inlined here.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <cstddef>
#include <cstdint>

#include "model/cpu/kernels_internal.h"

namespace odma::model::cpu::detail {
namespace {

#include "model/cpu/simd_avx512.inc"

__attribute__((always_inline)) inline __m512bh as_bh(__m512i v) {
  return __builtin_bit_cast(__m512bh, v);
}

template <int kT>
__attribute__((always_inline)) inline void block(__m512 (&acc)[kT], __m512i wv,
                                                 const std::uint16_t* x, std::size_t xs) {
  const __m512bh w = as_bh(wv);
#pragma GCC unroll 8
  for (int t = 0; t < kT; ++t)
    acc[t] = _mm512_dpbf16_ps(acc[t], w,
                              as_bh(_mm512_loadu_si512(x + static_cast<std::size_t>(t) * xs)));
}

using XT = std::uint16_t;
#include "model/cpu/gemv_avx512_rows.inc"

}  // namespace

void gemv_bf16_avx512bf16(const GemvArgs& a) {
  run(a);
}

}  // namespace odma::model::cpu::detail
