// INT8 GEMV, AVX2 (compiled with -mavx2 -mfma; also the AVX-512F level's kernel): 16 weights and
// 16 activations (both signed) widened to int16, vpmaddwd into eight int32 lanes per token; the
// last in % 16 values in scalar code. Exact integer sums: gemv_int8.h. Rules: kernels_internal.h.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "model/cpu/kernels_internal.h"

namespace odma::model::cpu::detail {
namespace {

constexpr int kPrefetchBytes = 2048;

inline std::int32_t hsum(__m256i v) {
  const __m128i l = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  const __m128i h = _mm_add_epi32(l, _mm_shuffle_epi32(l, 0x4E));
  return _mm_cvtsi128_si32(_mm_add_epi32(h, _mm_shuffle_epi32(h, 0xB1)));
}

inline __m256i widen16(const void* p) {
  return _mm256_cvtepi8_epi16(_mm_loadu_si128(static_cast<const __m128i*>(p)));
}

template <int kT>
void rows(const Int8GemvArgs& a) {
  const std::size_t in = static_cast<std::size_t>(a.in);
  const std::size_t full = in / 16 * 16;
  for (int r = a.row_begin; r < a.row_end; ++r) {
    const std::int8_t* w = a.q + static_cast<std::size_t>(r) * in;
    __m256i acc[kT];
#pragma GCC unroll 8
    for (int t = 0; t < kT; ++t) acc[t] = _mm256_setzero_si256();
    for (std::size_t k = 0; k < full; k += 16) {
      if (k % 64 == 0)
        _mm_prefetch(reinterpret_cast<const char*>(w + k) + kPrefetchBytes, _MM_HINT_T0);
      const __m256i wv = widen16(w + k);
#pragma GCC unroll 8
      for (int t = 0; t < kT; ++t)
        acc[t] = _mm256_add_epi32(acc[t], _mm256_madd_epi16(widen16(a.x + t * a.xs + k), wv));
    }
#pragma GCC unroll 8
    for (int t = 0; t < kT; ++t) {
      const auto* x =
          reinterpret_cast<const std::int8_t*>(a.x + static_cast<std::size_t>(t) * a.xs);
      std::int32_t dot = hsum(acc[t]);
      for (std::size_t k = full; k < in; ++k) dot += static_cast<std::int32_t>(x[k]) * w[k];
      float& dst = a.y[static_cast<std::size_t>(t) * static_cast<std::size_t>(a.out) +
                       static_cast<std::size_t>(r)];
      const float v = static_cast<float>(dot) * (a.x_scales[t] * a.scales[r]);
      dst = a.beta == 0.0f ? v : v + a.beta * dst;
    }
  }
}

}  // namespace

void gemv_int8_avx2(const Int8GemvArgs& a) {
  switch (a.t) {
    case 1:
      return rows<1>(a);
    case 2:
      return rows<2>(a);
    case 3:
      return rows<3>(a);
    case 4:
      return rows<4>(a);
    case 5:
      return rows<5>(a);
    case 6:
      return rows<6>(a);
    case 7:
      return rows<7>(a);
    default:
      return rows<8>(a);
  }
}

}  // namespace odma::model::cpu::detail
