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

#include "model/cpu/kv_cursor.inc"
#include "model/cpu/simd_avx512.inc"
#include "model/cpu/softmax_avx512.inc"

// Every line of the row at the cursor (rows of `row_bytes` from plane), then the cursor moves on.
__attribute__((always_inline)) inline void prefetch_next(const std::int8_t* plane, Cursor& c,
                                                         std::size_t row_bytes) {
  if (!c.valid()) return;
  const char* p = reinterpret_cast<const char*>(plane) + c.slot() * row_bytes;
  for (std::size_t b = 0; b < row_bytes; b += 64) prefetch(p + b);
  c.next();
}

// A cursor kPrefetchRows into the sequence, having prefetched the rows it passed. 64 rows (4–8
// KiB): at 2 KiB the V pass still waited on DRAM (bench_kv_dtype_attention: 64 rows took INT8
// from 0.87× to 0.78× BF16's time at head_dim 64, paged-16 from 0.61× to 0.53× at 128).
constexpr int kPrefetchRows = 64;
inline Cursor start_prefetch(const std::int8_t* plane, const AttnI8Args& a) {
  Cursor c{a.runs, a.n_runs};
  const int rows = kPrefetchRows;
  for (int j = 0; j < rows && c.valid(); ++j)
    prefetch_next(plane, c, static_cast<std::size_t>(a.hd));
  return c;
}

// In place: d[r] holds 16 dwords of row r (r < 16) → d[c] holds dword c of rows 0..15, in row
// order (unpack 32, unpack 64, then two 4 × 4 transposes of 128-bit blocks).
__attribute__((always_inline)) inline void transpose16(__m512i (&d)[16]) {
  __m512i t[16];
#pragma GCC unroll 8
  for (int r = 0; r < 16; r += 2) {
    t[r] = _mm512_unpacklo_epi32(d[r], d[r + 1]);
    t[r + 1] = _mm512_unpackhi_epi32(d[r], d[r + 1]);
  }
  // Quad q (rows 4q..4q+3): c[q][m]'s 128-bit lane L = dword 4L + m of those rows.
  __m512i c[4][4];
#pragma GCC unroll 4
  for (int q = 0; q < 4; ++q) {
    c[q][0] = _mm512_unpacklo_epi64(t[4 * q], t[4 * q + 2]);
    c[q][1] = _mm512_unpackhi_epi64(t[4 * q], t[4 * q + 2]);
    c[q][2] = _mm512_unpacklo_epi64(t[4 * q + 1], t[4 * q + 3]);
    c[q][3] = _mm512_unpackhi_epi64(t[4 * q + 1], t[4 * q + 3]);
  }
#pragma GCC unroll 4
  for (int m = 0; m < 4; ++m) {
    const __m512i e0 = _mm512_shuffle_i32x4(c[0][m], c[1][m], 0x44);
    const __m512i e1 = _mm512_shuffle_i32x4(c[0][m], c[1][m], 0xEE);
    const __m512i e2 = _mm512_shuffle_i32x4(c[2][m], c[3][m], 0x44);
    const __m512i e3 = _mm512_shuffle_i32x4(c[2][m], c[3][m], 0xEE);
    d[m] = _mm512_shuffle_i32x4(e0, e2, 0x88);
    d[4 + m] = _mm512_shuffle_i32x4(e0, e2, 0xDD);
    d[8 + m] = _mm512_shuffle_i32x4(e1, e3, 0x88);
    d[12 + m] = _mm512_shuffle_i32x4(e1, e3, 0xDD);
  }
}

// Scores 16 positions at a time, one position per lane: the block's K rows (from any runs) are
// transposed 64 bytes at a time so that vector c holds bytes 4c..4c+3 of every row; one vpdpbusd
// per (column, head) with q's 4 bytes broadcast then adds 4 products per lane, and no horizontal
// sum is needed. The epilogue is the reference's, lane by lane.
template <int kGroup>
void scores(const AttnI8Args& a) {
  const std::size_t hd = static_cast<std::size_t>(a.hd);
  // q as dwords (4 bytes each), zero past head_dim to a multiple of 16 dwords.
  std::int32_t q32[kGroup][64];
#pragma GCC unroll 8
  for (int g = 0; g < kGroup; ++g) {
    for (int c = 0; c < 64; ++c) q32[g][c] = 0;
    __builtin_memcpy(q32[g], a.q8 + g * a.hd, hd);
  }
  const __m512i bias = _mm512_set1_epi8(static_cast<char>(0x80));
  // Software prefetch along the sequence (not along memory: a paged block's successor is
  // elsewhere); the hardware prefetcher alone leaves these loads waiting on DRAM.
  Cursor pf = start_prefetch(a.k, a);
  const std::int8_t* rows[16];
  Cursor at{a.runs, a.n_runs};  // each position's row, in order along the runs
  for (int p = 0; p < a.ctx; p += 16) {
    const int n = a.ctx - p < 16 ? a.ctx - p : 16;
    for (int j = 0; j < n; ++j) {
      rows[j] = a.k + static_cast<std::size_t>(at.slot()) * hd;
      at.next();
      prefetch_next(a.k, pf, hd);
    }
    for (int j = n; j < 16; ++j) rows[j] = rows[0];  // padding lanes: computed, never stored
    __m512i acc[kGroup];
#pragma GCC unroll 8
    for (int g = 0; g < kGroup; ++g) acc[g] = _mm512_setzero_si512();
    for (int c0 = 0; c0 < a.hd; c0 += 64) {
      // Past head_dim (head_dim % 64 == 32) the bytes load as 0 → 0x80, against q's zero padding.
      const __mmask64 m = a.hd - c0 >= 64 ? ~__mmask64{0} : (__mmask64{1} << (a.hd - c0)) - 1;
      __m512i d[16];
#pragma GCC unroll 16
      for (int j = 0; j < 16; ++j)
        d[j] = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, rows[j] + c0), bias);
      transpose16(d);
#pragma GCC unroll 16
      for (int c = 0; c < 16; ++c)
#pragma GCC unroll 8
        for (int g = 0; g < kGroup; ++g)
          acc[g] = _mm512_dpbusd_epi32(acc[g], d[c], _mm512_set1_epi32(q32[g][c0 / 4 + c]));
    }
    const __mmask16 live = static_cast<__mmask16>((1u << n) - 1);
    const __m512 ks = _mm512_maskz_loadu_ps(live, a.k_scale + p);
#pragma GCC unroll 8
    for (int g = 0; g < kGroup; ++g) {
      const __m512i dot = _mm512_sub_epi32(acc[g], _mm512_set1_epi32(128 * a.q_sum[g]));
      const __m512 sc = _mm512_mul_ps(_mm512_set1_ps(a.q_scale[g]), ks);
      _mm512_mask_storeu_ps(a.scores + g * a.ctx + p, live,
                            _mm512_mul_ps(_mm512_cvtepi32_ps(dot), sc));
    }
  }
}

// wq[0, n) = round_half_even(w[i] · 32767 / max w) clamped to [0, 32767], wq[n] = 0 if n is odd;
// returns σ = max w / 32767 (0: an all-zero chunk, wq untouched). n ≤ 64, w ≥ 0.
inline float quantize_weights(const float* w, int n, std::int16_t* wq) {
  __m512 vmax = _mm512_setzero_ps();
  int i = 0;
  for (; i + 16 <= n; i += 16) vmax = _mm512_max_ps(vmax, _mm512_loadu_ps(w + i));
  float m = _mm512_reduce_max_ps(vmax);
  for (; i < n; ++i) m = w[i] > m ? w[i] : m;
  if (m == 0.0f) return 0.0f;
  const float inv = 32767.0f / m;
  const __m512 vinv = _mm512_set1_ps(inv);
  const __m512i top = _mm512_set1_epi32(32767), zero = _mm512_setzero_si512();
  for (i = 0; i + 16 <= n; i += 16) {
    __m512i q = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(w + i), vinv));
    q = _mm512_max_epi32(_mm512_min_epi32(q, top), zero);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(wq + i), _mm512_cvtepi32_epi16(q));
  }
  for (; i < n; ++i) {
    float x = __builtin_nearbyintf(w[i] * inv);
    x = x < 0.0f ? 0.0f : (x > 32767.0f ? 32767.0f : x);
    wq[i] = static_cast<std::int16_t>(x);
  }
  if (n % 2 != 0) wq[n] = 0;
  return m / 32767.0f;
}

// out[g] (in the (lo | hi) layout per 32 dimensions, see below) += σ_c · Σ_{p∈c} wq[p] · V8[p]
// for each 64-position chunk c: per 32-dim slice, the rows of two positions are widened to int16
// and interleaved per dimension (unpacklo/hi), so one vpdpwssd adds both positions' products for
// 16 dimensions; the int32 sums are exact, then converted and FMA'd once per chunk. The first
// slice pulls each V row in (prefetching along the sequence), the others read it from L1.
template <int kGroup>
void accumulate_v(const AttnI8Args& a) {
  const std::size_t hd = static_cast<std::size_t>(a.hd);
  const int chunks = a.wq_stride / 64;
  Cursor pf = start_prefetch(a.v, a);
  const std::int8_t* rows[65];
  Cursor at{a.runs, a.n_runs};  // each position's row, in order along the runs
  for (int c = 0; c < chunks; ++c) {
    const int p0 = 64 * c;
    const int n = a.ctx - p0 < 64 ? a.ctx - p0 : 64;
    for (int j = 0; j < n; ++j) {
      rows[j] = a.v + static_cast<std::size_t>(at.slot()) * hd;
      at.next();
    }
    rows[n] = rows[n - 1];  // an odd chunk's last pair: that row again, at weight 0
    const int pairs = (n + 1) / 2;
    std::int32_t w2[kGroup][32];  // each pair's two weights as one int32 (low: the first)
    bool live[kGroup];
#pragma GCC unroll 8
    for (int g = 0; g < kGroup; ++g) {
      const std::int16_t* q = a.wq + g * a.wq_stride + p0;
      live[g] = a.w_scale[g * chunks + c] != 0.0f;
      for (int j = 0; j < pairs; ++j)
        w2[g][j] = static_cast<std::int32_t>(static_cast<std::uint16_t>(q[2 * j]) |
                                             (static_cast<std::uint32_t>(q[2 * j + 1]) << 16));
    }
    for (int d0 = 0; d0 < a.hd; d0 += 32) {
      __m512i acc[kGroup][2];
#pragma GCC unroll 8
      for (int g = 0; g < kGroup; ++g) acc[g][0] = acc[g][1] = _mm512_setzero_si512();
      for (int j = 0; j < pairs; ++j) {
        if (d0 == 0) {
          prefetch_next(a.v, pf, hd);
          prefetch_next(a.v, pf, hd);
        }
        const __m512i x = _mm512_cvtepi8_epi16(
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[2 * j] + d0)));
        const __m512i y = _mm512_cvtepi8_epi16(
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[2 * j + 1] + d0)));
        const __m512i lo = _mm512_unpacklo_epi16(x, y), hi = _mm512_unpackhi_epi16(x, y);
#pragma GCC unroll 8
        for (int g = 0; g < kGroup; ++g) {
          const __m512i w = _mm512_set1_epi32(w2[g][j]);
          acc[g][0] = _mm512_dpwssd_epi32(acc[g][0], lo, w);
          acc[g][1] = _mm512_dpwssd_epi32(acc[g][1], hi, w);
        }
      }
#pragma GCC unroll 8
      for (int g = 0; g < kGroup; ++g) {
        if (!live[g]) continue;  // as the reference: an all-zero chunk adds nothing
        const __m512 sigma = _mm512_set1_ps(a.w_scale[g * chunks + c]);
        float* o = a.out + g * a.hd + d0;
#pragma GCC unroll 2
        for (int h = 0; h < 2; ++h)  // out starts at 0 (attend), as the reference's does
          _mm512_storeu_ps(o + 16 * h, _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[g][h]), sigma,
                                                       _mm512_loadu_ps(o + 16 * h)));
      }
    }
  }
}

// Per 32 dimensions the accumulators hold (lo | hi): lo's lane 4k + i is dimension 8k + i and
// hi's lane 4k + i is dimension 8k + 4 + i (k < 4, i < 4: unpacklo/hi work per 128-bit lane).
alignas(64) constexpr std::int32_t kFirstHalf[16] = {0, 1, 2, 3, 16, 17, 18, 19,
                                                     4, 5, 6, 7, 20, 21, 22, 23};
alignas(64) constexpr std::int32_t kSecondHalf[16] = {8,  9,  10, 11, 24, 25, 26, 27,
                                                      12, 13, 14, 15, 28, 29, 30, 31};

template <int kGroup>
void attend(const AttnI8Args& a) {
  scores<kGroup>(a);
  const int chunks = a.wq_stride / 64;
  for (int g = 0; g < kGroup; ++g) {
    float* s = a.scores + static_cast<std::size_t>(g) * a.ctx;
    softmax(s, a.ctx);
    int i = 0;  // w' = w · sv, the same one product per position as the reference
    for (; i + 16 <= a.ctx; i += 16)
      _mm512_storeu_ps(s + i,
                       _mm512_mul_ps(_mm512_loadu_ps(s + i), _mm512_loadu_ps(a.v_scale + i)));
    for (; i < a.ctx; ++i) s[i] *= a.v_scale[i];
    for (int c = 0; c < chunks; ++c) {
      const int n = a.ctx - 64 * c < 64 ? a.ctx - 64 * c : 64;
      a.w_scale[g * chunks + c] = quantize_weights(s + 64 * c, n, a.wq + g * a.wq_stride + 64 * c);
    }
  }
  // The reference starts every output at 0; a chunk whose weights are all 0 adds nothing, so an
  // output no chunk touched must read 0 too.
  for (int g = 0; g < kGroup; ++g)
    for (int d = 0; d < a.hd; ++d) a.out[g * a.hd + d] = 0.0f;
  accumulate_v<kGroup>(a);
  const __m512i first = _mm512_load_si512(kFirstHalf), second = _mm512_load_si512(kSecondHalf);
  for (int g = 0; g < kGroup; ++g)
    for (int d0 = 0; d0 < a.hd; d0 += 32) {
      float* o = a.out + g * a.hd + d0;
      const __m512 lo = _mm512_loadu_ps(o), hi = _mm512_loadu_ps(o + 16);
      _mm512_storeu_ps(o, _mm512_permutex2var_ps(lo, first, hi));
      _mm512_storeu_ps(o + 16, _mm512_permutex2var_ps(lo, second, hi));
    }
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
