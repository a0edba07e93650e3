// Decode GEMV, AVX-512F (compiled with -mavx512f -mavx512bw -mavx512vl): BF16 weights widened to
// F32 by shift (even elements) and mask (odd elements), FMA against F32 activations prepared as
// [16 even | 16 odd] per 32-value block. Order: see gemv_bf16.h. Rules: kernels_internal.h.
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

// acc += block of 32 weights × the prepared 32 activations of each token (even, then odd FMA).
template <int kT>
__attribute__((always_inline)) inline void block(__m512 (&acc)[kT], __m512i wv, const float* x,
                                                 std::size_t xs) {
  const __m512 we = bf16_even(wv), wo = bf16_odd(wv);
#pragma GCC unroll 8
  for (int t = 0; t < kT; ++t) {
    const float* xt = x + static_cast<std::size_t>(t) * xs;
    acc[t] = _mm512_fmadd_ps(_mm512_loadu_ps(xt), we, acc[t]);
    acc[t] = _mm512_fmadd_ps(_mm512_loadu_ps(xt + 16), wo, acc[t]);
  }
}

using XT = float;
#include "model/cpu/gemv_avx512_rows.inc"

}  // namespace

void gemv_bf16_avx512(const GemvArgs& a) {
  run(a);
}

}  // namespace odma::model::cpu::detail
