// Decode GEMV, AVX2 + FMA (compiled with -mavx2 -mfma): BF16 weights widened by shift (even
// elements) and mask (odd elements), FMA against F32 activations prepared as [8 even | 8 odd] per
// 16-value block. Order: see gemv_bf16.h; the 8 lanes are summed as (l0+l2)+(l1+l3) with
// l[i] = v[i] + v[i+4]. Sixteen YMM registers hold two chains for 4 tokens: rows with t > 4 are
// done as tokens [0, 4) then [4, t) (the second pass reads the row from L1), which changes no
// token's order. Rules for this file: kernels_internal.h.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "model/cpu/kernels_internal.h"

namespace odma::model::cpu::detail {
namespace {

constexpr int kPrefetchBytes = 2048;

inline float hsum(__m256 v) {
  const __m128 l = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 h = _mm_add_ps(l, _mm_movehl_ps(l, l));             // [l0+l2, l1+l3, ...]
  return _mm_cvtss_f32(_mm_add_ss(h, _mm_shuffle_ps(h, h, 0x1)));  // (l0+l2) + (l1+l3)
}

template <int kT>
__attribute__((always_inline)) inline void block(__m256 (&acc)[kT], __m256i wv, const float* x,
                                                 std::size_t xs) {
  const __m256 we = _mm256_castsi256_ps(_mm256_slli_epi32(wv, 16));
  const __m256 wo =
      _mm256_castsi256_ps(_mm256_and_si256(wv, _mm256_set1_epi32(static_cast<int>(0xFFFF0000u))));
#pragma GCC unroll 4
  for (int t = 0; t < kT; ++t) {
    const float* xt = x + static_cast<std::size_t>(t) * xs;
    acc[t] = _mm256_fmadd_ps(_mm256_loadu_ps(xt), we, acc[t]);
    acc[t] = _mm256_fmadd_ps(_mm256_loadu_ps(xt + 8), wo, acc[t]);
  }
}

// Tokens [t0, t0 + kT) of row `row`.
template <int kT>
void tokens(const GemvArgs& a, const std::uint16_t* row, int r, int t0) {
  const float* x = static_cast<const float*>(a.x) + static_cast<std::size_t>(t0) * a.xs;
  const int full = a.in / 16, tail = a.in % 16;
  __m256 acc0[kT], acc1[kT];
#pragma GCC unroll 4
  for (int t = 0; t < kT; ++t) acc0[t] = acc1[t] = _mm256_setzero_ps();
  int b = 0;
  for (; b + 2 <= full; b += 2) {
    const std::uint16_t* wp = row + 16 * b;
    _mm_prefetch(reinterpret_cast<const char*>(wp) + kPrefetchBytes, _MM_HINT_T0);
    block<kT>(acc0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wp)), x + 16 * b, a.xs);
    block<kT>(acc1, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wp + 16)), x + 16 * b + 16,
              a.xs);
  }
  if (b < full) {
    block<kT>(acc0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 16 * b)), x + 16 * b,
              a.xs);
    ++b;
  }
  if (tail != 0) {  // no 16-bit masked loads in AVX2: copy the tail into a zeroed block
    alignas(32) std::uint16_t buf[16] = {};
    for (int k = 0; k < tail; ++k) buf[k] = row[16 * b + k];
    const __m256i wv = _mm256_load_si256(reinterpret_cast<const __m256i*>(buf));
    if (b % 2 == 0) {
      block<kT>(acc0, wv, x + 16 * b, a.xs);
    } else {
      block<kT>(acc1, wv, x + 16 * b, a.xs);
    }
  }
#pragma GCC unroll 4
  for (int t = 0; t < kT; ++t) {
    const float dot = hsum(_mm256_add_ps(acc0[t], acc1[t]));
    float& dst = a.y[static_cast<std::size_t>(t0 + t) * static_cast<std::size_t>(a.out) +
                     static_cast<std::size_t>(r)];
    dst = a.beta == 0.0f ? dot : dot + a.beta * dst;
  }
}

void tokens_any(const GemvArgs& a, const std::uint16_t* row, int r, int t0, int n) {
  switch (n) {
    case 1:
      return tokens<1>(a, row, r, t0);
    case 2:
      return tokens<2>(a, row, r, t0);
    case 3:
      return tokens<3>(a, row, r, t0);
    default:
      return tokens<4>(a, row, r, t0);
  }
}

}  // namespace

void gemv_bf16_avx2(const GemvArgs& a) {
  for (int r = a.row_begin; r < a.row_end; ++r) {
    const std::uint16_t* row = a.w + static_cast<std::size_t>(r) * static_cast<std::size_t>(a.in);
    for (int t0 = 0; t0 < a.t; t0 += 4) tokens_any(a, row, r, t0, a.t - t0 < 4 ? a.t - t0 : 4);
  }
}

}  // namespace odma::model::cpu::detail
