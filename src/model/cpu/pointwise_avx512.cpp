// pointwise.h's kernels on AVX-512F (compiled with -mavx512f -mavx512bw -mavx512vl and
// -ffp-contract=off): the scalar kernels' operations (their std::fma as vfmadd/vfmsub), 16 lanes
// at a time, masked at the tails, so the bits are the scalar ones. See kernels_internal.h for this
// file's rules.
#include <immintrin.h>

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which -W(maybe-)uninitialized
// flags (a false positive) once they are inlined here.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <cstddef>
#include <cstdint>

#include "model/cpu/pointwise_internal.h"

namespace odma::model::cpu::detail {
namespace {

__mmask16 tail_mask(std::size_t left) {
  return left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1);
}

#include "model/cpu/exp_avx512.inc"
#include "model/cpu/exp_scalar.inc"

}  // namespace

double sum_squares_avx512(const float* x, int n) {
  __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();  // lanes 0-7 and 8-15
  for (int i = 0; i < n; i += 16) {
    const __m512 v = _mm512_maskz_loadu_ps(tail_mask(static_cast<std::size_t>(n - i)), x + i);
    const __m512d a = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
    const __m512d b =
        _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    lo = _mm512_add_pd(lo, _mm512_mul_pd(a, a));
    hi = _mm512_add_pd(hi, _mm512_mul_pd(b, b));
  }
  alignas(64) double lanes[16];
  _mm512_store_pd(lanes, lo);
  _mm512_store_pd(lanes + 8, hi);
  double sum = 0.0;
  for (int k = 0; k < 16; ++k) sum += lanes[k];
  return sum;
}

void scale_mul_avx512(const float* x, float r, const float* w, float* y, int n) {
  const __m512 vr = _mm512_set1_ps(r);
  for (int i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(static_cast<std::size_t>(n - i));
    const __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), vr);
    _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(v, _mm512_maskz_loadu_ps(m, w + i)));
  }
}

void rope_row_avx512(float* x, int heads, int head_dim, const float* cos, const float* sin) {
  const int half = head_dim / 2;
  for (int h = 0; h < heads; ++h) {
    float* v = x + static_cast<std::size_t>(h) * static_cast<std::size_t>(head_dim);
    for (int j = 0; j < half; j += 16) {
      const __mmask16 m = tail_mask(static_cast<std::size_t>(half - j));
      const __m512 a = _mm512_maskz_loadu_ps(m, v + j);
      const __m512 b = _mm512_maskz_loadu_ps(m, v + half + j);
      const __m512 c = _mm512_maskz_loadu_ps(m, cos + j);
      const __m512 s = _mm512_maskz_loadu_ps(m, sin + j);
      _mm512_mask_storeu_ps(v + j, m, _mm512_fmsub_ps(a, c, _mm512_mul_ps(b, s)));
      _mm512_mask_storeu_ps(v + half + j, m, _mm512_fmadd_ps(b, c, _mm512_mul_ps(a, s)));
    }
  }
}

void swiglu_avx512(float* gate, const float* up, std::size_t n) {
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512i sign = _mm512_set1_epi32(static_cast<std::int32_t>(0x80000000u));
  for (std::size_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 g = _mm512_maskz_loadu_ps(m, gate + i);
    const __m512 e =  // e^−|g| (_mm512_or_ps would need AVX512DQ)
        exp_nonpositive16(_mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(g), sign)));
    const __m512 d = _mm512_add_ps(one, e);
    const __mmask16 neg = _mm512_cmp_ps_mask(g, _mm512_setzero_ps(), _CMP_LT_OQ);
    const __m512 num = _mm512_mask_mul_ps(g, neg, g, e);  // g < 0: g · e
    const __m512 s = _mm512_div_ps(num, d);
    _mm512_mask_storeu_ps(gate + i, m, _mm512_mul_ps(s, _mm512_maskz_loadu_ps(m, up + i)));
  }
}

}  // namespace odma::model::cpu::detail
