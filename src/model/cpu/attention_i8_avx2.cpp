// Decode attention over INT8 K/V, AVX2 + FMA (compiled with -mavx2 -mfma; also the AVX-512F
// level's kernel): scores by int16 widening + vpmaddwd (exact integer dots); the canonical softmax
// with its 16 lanes as two 8-lane vectors; V widened to F32 8 dims at a time and FMA'd with
// (w · sv) in position order. Bits equal the scalar reference (attention_i8.h). Rules for this
// file: kernels_internal.h.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "model/cpu/kernels_internal.h"

namespace odma::model::cpu::detail {
namespace {

inline std::int32_t hsum(__m256i v) {
  const __m128i l = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  const __m128i h = _mm_add_epi32(l, _mm_shuffle_epi32(l, 0x4E));
  return _mm_cvtsi128_si32(_mm_add_epi32(h, _mm_shuffle_epi32(h, 0xB1)));
}

inline __m256i widen16(const std::int8_t* p) {
  return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

template <int kGroup>
void scores(const AttnI8Args& a) {
  const std::size_t hd = static_cast<std::size_t>(a.hd);
  int p = 0;
  for (int r = 0; r < a.n_runs; ++r) {
    for (int i = 0; i < a.runs[r].n; ++i, ++p) {
      const std::int8_t* k = a.k + static_cast<std::size_t>(a.runs[r].slot + i) * hd;
      _mm_prefetch(reinterpret_cast<const char*>(k) + 2048, _MM_HINT_T0);
      __m256i acc[kGroup];
#pragma GCC unroll 8
      for (int g = 0; g < kGroup; ++g) acc[g] = _mm256_setzero_si256();
      for (std::size_t c = 0; c < hd; c += 16) {
        const __m256i kv = widen16(k + c);
#pragma GCC unroll 8
        for (int g = 0; g < kGroup; ++g)
          acc[g] = _mm256_add_epi32(acc[g], _mm256_madd_epi16(kv, widen16(a.q8 + g * hd + c)));
      }
#pragma GCC unroll 8
      for (int g = 0; g < kGroup; ++g)
        a.scores[g * a.ctx + p] = static_cast<float>(hsum(acc[g])) * (a.q_scale[g] * a.k_scale[p]);
    }
  }
}

inline float exp_nonpositive(float x) {
  x = x < -87.0f ? -87.0f : x;
  const float n = __builtin_floorf(x * 1.44269504088896341f + 0.5f);
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const std::int32_t bits = (static_cast<std::int32_t>(n) + 127) << 23;
  return p * __builtin_bit_cast(float, bits);
}

inline __m256 exp_nonpositive8(__m256 x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
  const __m256 n = _mm256_round_ps(
      _mm256_add_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), _mm256_set1_ps(0.5f)),
      _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  const __m256 r = _mm256_add_ps(_mm256_sub_ps(x, _mm256_mul_ps(n, _mm256_set1_ps(0.693359375f))),
                                 _mm256_mul_ps(n, _mm256_set1_ps(2.12194440e-4f)));
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(p, _mm256_mul_ps(r, r)), r), _mm256_set1_ps(1.0f));
  const __m256i bits =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

// The canonical softmax (softmax_avx512.inc): lanes 0..7 in `lo`, 8..15 in `hi`.
void softmax(float* x, int n) {
  float m = x[0];
  for (int i = 1; i < n; ++i) m = x[i] > m ? x[i] : m;
  const __m256 vm = _mm256_set1_ps(m);
  __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 e0 = exp_nonpositive8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm));
    const __m256 e1 = exp_nonpositive8(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8), vm));
    _mm256_storeu_ps(x + i, e0);
    _mm256_storeu_ps(x + i + 8, e1);
    lo = _mm256_add_ps(lo, e0);
    hi = _mm256_add_ps(hi, e1);
  }
  alignas(32) float lanes[16];
  _mm256_store_ps(lanes, lo);
  _mm256_store_ps(lanes + 8, hi);
  float sum = 0.0f;
  for (float l : lanes) sum += l;
  for (; i < n; ++i) {
    x[i] = exp_nonpositive(x[i] - m);
    sum += x[i];
  }
  const float inv = 1.0f / sum;
  for (i = 0; i < n; ++i) x[i] *= inv;
}

// out[g] = Σ_p w'[g][p] · V[p] in position order, 8 dims × kGroup heads per pass over chunks of
// 64 positions (accumulators stored and reloaded between chunks: exact).
template <int kGroup>
void accumulate_v(const AttnI8Args& a) {
  constexpr int kChunk = 64;
  const std::size_t hd = static_cast<std::size_t>(a.hd);
  int r = 0, i = 0;
  for (int p = 0; p < a.ctx;) {
    const int end = a.ctx < p + kChunk ? a.ctx : p + kChunk;
    int rr = r, ii = i;
    for (int d0 = 0; d0 < a.hd; d0 += 8) {
      __m256 acc[kGroup];
#pragma GCC unroll 8
      for (int g = 0; g < kGroup; ++g)
        acc[g] = p == 0 ? _mm256_setzero_ps() : _mm256_loadu_ps(a.out + g * a.hd + d0);
      rr = r;
      ii = i;
      for (int pp = p; pp < end;) {
        const int left = a.runs[rr].n - ii;
        const int take = left < end - pp ? left : end - pp;
        const std::int8_t* base = a.v + static_cast<std::size_t>(a.runs[rr].slot + ii) * hd + d0;
        for (int j = 0; j < take; ++j) {
          const std::int8_t* row = base + static_cast<std::size_t>(j) * hd;
          if (d0 == 0) _mm_prefetch(reinterpret_cast<const char*>(row) + 2048, _MM_HINT_T0);
          const __m256 vf = _mm256_cvtepi32_ps(
              _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(row))));
#pragma GCC unroll 8
          for (int g = 0; g < kGroup; ++g)
            acc[g] = _mm256_fmadd_ps(_mm256_set1_ps(a.scores[g * a.ctx + pp + j]), vf, acc[g]);
        }
        pp += take;
        ii += take;
        if (ii == a.runs[rr].n) {
          ++rr;
          ii = 0;
        }
      }
#pragma GCC unroll 8
      for (int g = 0; g < kGroup; ++g) _mm256_storeu_ps(a.out + g * a.hd + d0, acc[g]);
    }
    r = rr;
    i = ii;
    p = end;
  }
}

template <int kGroup>
void attend(const AttnI8Args& a) {
  scores<kGroup>(a);
  for (int g = 0; g < kGroup; ++g) {
    float* s = a.scores + static_cast<std::size_t>(g) * a.ctx;
    softmax(s, a.ctx);
    for (int i = 0; i < a.ctx; ++i) s[i] *= a.v_scale[i];
  }
  accumulate_v<kGroup>(a);
}

}  // namespace

void attend_i8_avx2(const AttnI8Args& a) {
  switch (a.group) {
    case 1:
      return attend<1>(a);
    case 2:
      return attend<2>(a);
    case 3:
      return attend<3>(a);
    case 4:
      return attend<4>(a);
    case 5:
      return attend<5>(a);
    case 6:
      return attend<6>(a);
    case 7:
      return attend<7>(a);
    default:
      return attend<8>(a);
  }
}

}  // namespace odma::model::cpu::detail
