// Decode attention over INT8 K/V, AVX512-VNNI (compiled with -mavx512f/bw/vl -mavx512vnni):
// scores by vpdpbusd of (K8 xor 0x80) = K8 + 128 (unsigned) with q8 (signed), less 128 · Σq8,
// for up to 16 (row, head) pairs per block; the canonical softmax; V widened to F32 16 dims at a
// time and FMA'd with (w · sv) in position order. Bits equal the scalar reference (attention_i8.h).
// Rules for this file: kernels_internal.h.
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
#include "model/cpu/softmax_avx512.inc"

// Sums of up to 8 int32 vectors (hsum8's shuffles, on the bits: integer sums are exact in any
// order).
__attribute__((always_inline)) inline void hsum8_epi32(const __m512i* a, std::int32_t* out, int n) {
  __m512i b[4], c[2];
  for (int j = 0; j < 4; ++j) {
    const __m512 x = _mm512_castsi512_ps(a[2 * j]), y = _mm512_castsi512_ps(a[2 * j + 1]);
    b[j] = _mm512_add_epi32(_mm512_castps_si512(_mm512_shuffle_f32x4(x, y, 0x44)),
                            _mm512_castps_si512(_mm512_shuffle_f32x4(x, y, 0xEE)));
  }
  for (int k = 0; k < 2; ++k) {
    const __m512 x = _mm512_castsi512_ps(b[2 * k]), y = _mm512_castsi512_ps(b[2 * k + 1]);
    c[k] = _mm512_add_epi32(_mm512_castps_si512(_mm512_shuffle_f32x4(x, y, 0x88)),
                            _mm512_castps_si512(_mm512_shuffle_f32x4(x, y, 0xDD)));
  }
  const __m512 c0 = _mm512_castsi512_ps(c[0]), c1 = _mm512_castsi512_ps(c[1]);
  const __m512i d = _mm512_add_epi32(_mm512_castps_si512(_mm512_shuffle_ps(c0, c1, 0x88)),
                                     _mm512_castps_si512(_mm512_shuffle_ps(c0, c1, 0xDD)));
  const __m512 df = _mm512_castsi512_ps(d);
  const __m512i e = _mm512_add_epi32(_mm512_castps_si512(_mm512_shuffle_ps(df, df, 0x88)),
                                     _mm512_castps_si512(_mm512_shuffle_ps(df, df, 0xDD)));
  alignas(64) std::int32_t buf[16];
  _mm512_store_si512(buf, e);
  for (int g = 0; g < n; ++g) out[g] = buf[4 * (g % 4) + g / 4];
}

template <int kGroup>
constexpr int kScoreRows = 16 / kGroup < 8 ? 16 / kGroup : 8;

// Integer dots of kGroup heads against kRows consecutive K rows at k → scores.
template <int kGroup, int kRows>
__attribute__((always_inline)) inline void score_block(const AttnI8Args& a, const std::int8_t* k,
                                                       int p) {
  constexpr int kN = kRows * kGroup;
  const int hd = a.hd;
  __m512i acc[16];
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) acc[i] = _mm512_setzero_si512();
  const __m512i bias = _mm512_set1_epi8(static_cast<char>(0x80));
  for (int c = 0; c < hd; c += 64) {
    const __mmask64 m = hd - c >= 64 ? ~__mmask64{0} : (__mmask64{1} << (hd - c)) - 1;
    __m512i kw[kRows];
#pragma GCC unroll 8
    for (int r = 0; r < kRows; ++r)
      kw[r] = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, k + r * hd + c), bias);
#pragma GCC unroll 8
    for (int g = 0; g < kGroup; ++g) {
      const __m512i qv = _mm512_maskz_loadu_epi8(m, a.q8 + g * hd + c);
#pragma GCC unroll 8
      for (int r = 0; r < kRows; ++r)
        acc[r * kGroup + g] = _mm512_dpbusd_epi32(acc[r * kGroup + g], kw[r], qv);
    }
  }
  std::int32_t dots[16];
  hsum8_epi32(acc, dots, kN < 8 ? kN : 8);
  if constexpr (kN > 8) hsum8_epi32(acc + 8, dots + 8, kN - 8);
#pragma GCC unroll 8
  for (int r = 0; r < kRows; ++r)
#pragma GCC unroll 8
    for (int g = 0; g < kGroup; ++g) {
      const std::int32_t dot = dots[r * kGroup + g] - 128 * a.q_sum[g];
      a.scores[g * a.ctx + p + r] = static_cast<float>(dot) * (a.q_scale[g] * a.k_scale[p + r]);
    }
}

template <int kGroup>
void scores(const AttnI8Args& a) {
  constexpr int kRows = kScoreRows<kGroup>;
  const std::size_t hd = static_cast<std::size_t>(a.hd);
  int p = 0;
  for (int r = 0; r < a.n_runs; ++r) {
    const std::int8_t* k = a.k + static_cast<std::size_t>(a.runs[r].slot) * hd;
    const int n = a.runs[r].n;
    if (r + 1 < a.n_runs) {  // a run's start is where no hardware prefetcher guesses
      const char* next = reinterpret_cast<const char*>(a.k + a.runs[r + 1].slot * hd);
      for (std::size_t b = 0; b < 4 * hd; b += 64) prefetch(next + b);
    }
    int i = 0;
    for (; i + kRows <= n; i += kRows) {
      prefetch(reinterpret_cast<const char*>(k + i * hd) + kPrefetchBytes);
      score_block<kGroup, kRows>(a, k + static_cast<std::size_t>(i) * hd, p + i);
    }
    for (; i < n; ++i) score_block<kGroup, 1>(a, k + static_cast<std::size_t>(i) * hd, p + i);
    p += n;
  }
}

// out[g] = Σ_p w'[g][p] · V[p], in position order, kChunk positions at a time: for each slice of
// kSv 16-dim vectors the group's accumulators stay in registers over the chunk (whatever runs it
// spans; a store and reload between chunks is exact); slice 0 pulls each V row in, the other
// slices read it from L1.
template <int kGroup, int kSv>
void accumulate_v(const AttnI8Args& a) {
  constexpr int kChunk = 64;
  const std::size_t hd = static_cast<std::size_t>(a.hd);
  int r = 0, i = 0;  // run and offset of the chunk's first position
  for (int p = 0; p < a.ctx;) {
    const int end = a.ctx < p + kChunk ? a.ctx : p + kChunk;
    int rr = r, ii = i;
    for (int d0 = 0; d0 < a.hd; d0 += 16 * kSv) {
      __m512 acc[kGroup][kSv];
#pragma GCC unroll 8
      for (int g = 0; g < kGroup; ++g)
#pragma GCC unroll 2
        for (int s = 0; s < kSv; ++s)
          acc[g][s] =
              p == 0 ? _mm512_setzero_ps() : _mm512_loadu_ps(a.out + g * a.hd + d0 + 16 * s);
      rr = r;
      ii = i;
      for (int pp = p; pp < end;) {
        const int left = a.runs[rr].n - ii;
        const int take = left < end - pp ? left : end - pp;
        const std::int8_t* base = a.v + static_cast<std::size_t>(a.runs[rr].slot + ii) * hd + d0;
        if (d0 == 0) {
          const char* next = reinterpret_cast<const char*>(base + take * hd);
          if (take == left && rr + 1 < a.n_runs)  // the next run starts where nothing guesses
            next = reinterpret_cast<const char*>(a.v + a.runs[rr + 1].slot * hd);
          for (std::size_t b = 0; b < 4 * hd; b += 64) prefetch(next + b);
        }
        for (int j = 0; j < take; ++j) {
          const std::int8_t* row = base + static_cast<std::size_t>(j) * hd;
          if (d0 == 0) prefetch(reinterpret_cast<const char*>(row) + kPrefetchBytes);
          __m512 vf[kSv];
#pragma GCC unroll 2
          for (int s = 0; s < kSv; ++s)
            vf[s] = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(
                _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 16 * s))));
#pragma GCC unroll 8
          for (int g = 0; g < kGroup; ++g) {
            const __m512 w = _mm512_set1_ps(a.scores[g * a.ctx + pp + j]);
#pragma GCC unroll 2
            for (int s = 0; s < kSv; ++s) acc[g][s] = _mm512_fmadd_ps(w, vf[s], acc[g][s]);
          }
        }
        pp += take;
        ii += take;
        if (ii == a.runs[rr].n) {
          ++rr;
          ii = 0;
        }
      }
#pragma GCC unroll 8
      for (int g = 0; g < kGroup; ++g)
#pragma GCC unroll 2
        for (int s = 0; s < kSv; ++s) _mm512_storeu_ps(a.out + g * a.hd + d0 + 16 * s, acc[g][s]);
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
    int i = 0;  // w' = w · sv, the same one product per position as the reference
    for (; i + 16 <= a.ctx; i += 16)
      _mm512_storeu_ps(s + i,
                       _mm512_mul_ps(_mm512_loadu_ps(s + i), _mm512_loadu_ps(a.v_scale + i)));
    for (; i < a.ctx; ++i) s[i] *= a.v_scale[i];
  }
  if (a.hd % 32 == 0)
    accumulate_v<kGroup, 2>(a);
  else
    accumulate_v<kGroup, 1>(a);
}

}  // namespace

void attend_i8_avx512vnni(const AttnI8Args& a) {
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
