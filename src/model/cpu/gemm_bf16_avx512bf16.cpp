// Prefill GEMM, AVX512-BF16 (compiled with -mavx512f -mavx512bw -mavx512vl -mavx512bf16).
// Block: 6 token rows × one 64-column weight panel = 24 ZMM accumulators. Per k pair j: four panel
// vectors (64 columns × the pair) and, per row, the activation pair (x[2j], x[2j+1]) broadcast as
// one dword; 24 vdpbf16ps. Each output's sum runs over j in order from zero, then
// y = acc (beta 0) or acc + beta · y. The panel (≤ 64 × in × 2 bytes) stays in L2 across the row
// blocks; the 6 activation rows in L1. Rules for this file: kernels_internal.h.
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

constexpr int kPanel = 64;
constexpr int kRows = 6;

__attribute__((always_inline)) inline __m512bh as_bh(__m512i v) {
  return __builtin_bit_cast(__m512bh, v);
}

__attribute__((always_inline)) inline __m512i pair(const std::uint16_t* p) {
  std::uint32_t v;
  __builtin_memcpy(&v, p, sizeof v);
  return _mm512_set1_epi32(static_cast<int>(v));
}

template <int kR>
void block(const GemmArgs& a, const std::uint16_t* panel, int m0, int n0) {
  __m512 acc[kR][4];
#pragma GCC unroll 6
  for (int r = 0; r < kR; ++r)
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) acc[r][j] = _mm512_setzero_ps();
  const std::size_t lda = static_cast<std::size_t>(a.k_pad);
  const std::uint16_t* x = a.a + static_cast<std::size_t>(m0) * lda;
  const int pairs = a.k_pad / 2;
  for (int kp = 0; kp < pairs; ++kp) {
    const std::uint16_t* b = panel + static_cast<std::size_t>(kp) * (2 * kPanel);
    _mm_prefetch(reinterpret_cast<const char*>(b) + 1024, _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(b) + 1024 + 64, _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(b) + 1024 + 128, _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(b) + 1024 + 192, _MM_HINT_T0);
    const __m512bh b0 = as_bh(_mm512_loadu_si512(b)), b1 = as_bh(_mm512_loadu_si512(b + 32));
    const __m512bh b2 = as_bh(_mm512_loadu_si512(b + 64)), b3 = as_bh(_mm512_loadu_si512(b + 96));
#pragma GCC unroll 6
    for (int r = 0; r < kR; ++r) {
      const __m512bh av = as_bh(pair(x + static_cast<std::size_t>(r) * lda + 2 * kp));
      acc[r][0] = _mm512_dpbf16_ps(acc[r][0], b0, av);
      acc[r][1] = _mm512_dpbf16_ps(acc[r][1], b1, av);
      acc[r][2] = _mm512_dpbf16_ps(acc[r][2], b2, av);
      acc[r][3] = _mm512_dpbf16_ps(acc[r][3], b3, av);
    }
  }
  const int cols = a.n - n0 < kPanel ? a.n - n0 : kPanel;
  const __m512 beta = _mm512_set1_ps(a.beta);
#pragma GCC unroll 6
  for (int r = 0; r < kR; ++r) {
    if (m0 + r >= a.m) break;
    float* y = a.y + static_cast<std::size_t>(m0 + r) * static_cast<std::size_t>(a.ldy) + n0;
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
      const int left = cols - 16 * j;
      if (left <= 0) break;
      const __mmask16 m =
          left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1u);
      __m512 v = acc[r][j];
      if (a.beta != 0.0f)
        v = _mm512_add_ps(v, _mm512_mul_ps(beta, _mm512_maskz_loadu_ps(m, y + 16 * j)));
      _mm512_mask_storeu_ps(y + 16 * j, m, v);
    }
  }
}

}  // namespace

void gemm_bf16_avx512bf16(const GemmArgs& a) {
  const std::size_t panel_elems = static_cast<std::size_t>(a.k_pad) * kPanel;
  for (int p = a.panel_begin; p < a.panel_end; ++p) {
    const std::uint16_t* panel = a.b + static_cast<std::size_t>(p) * panel_elems;
    int m0 = 0;
    for (; m0 + kRows <= a.m; m0 += kRows) block<kRows>(a, panel, m0, p * kPanel);
    switch (a.m - m0) {
      case 1:
        block<1>(a, panel, m0, p * kPanel);
        break;
      case 2:
        block<2>(a, panel, m0, p * kPanel);
        break;
      case 3:
        block<3>(a, panel, m0, p * kPanel);
        break;
      case 4:
        block<4>(a, panel, m0, p * kPanel);
        break;
      case 5:
        block<5>(a, panel, m0, p * kPanel);
        break;
      default:
        break;
    }
  }
}

}  // namespace odma::model::cpu::detail
