// Decode attention over INT8 K/V, AVX2 + FMA (compiled with -mavx2 -mfma; also the AVX-512F
// level's kernel): scores 8 positions a vector by vpmaddubsw on sign-adjusted bytes (exact integer
// dots); the canonical softmax with its 16 lanes as two 8-lane vectors; V summed exactly by
// vpmaddwd on position pairs. Bits equal the scalar reference (attention_i8.h). Rules for this
// file: kernels_internal.h.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "model/cpu/kernels_internal.h"

namespace odma::model::cpu::detail {
namespace {

#include "model/cpu/kv_cursor.inc"

constexpr int kPrefetchRows = 64;  // as the AVX-512 kernel (attention_i8_avx512vnni.cpp)

// Every line of the row at the cursor, then the cursor moves on (prefetch along the sequence).
inline void prefetch_next(const std::int8_t* plane, Cursor& c, std::size_t row_bytes) {
  if (!c.valid()) return;
  const char* p = reinterpret_cast<const char*>(plane) + c.slot() * row_bytes;
  for (std::size_t b = 0; b < row_bytes; b += 64) _mm_prefetch(p + b, _MM_HINT_T0);
  c.next();
}

inline Cursor start_prefetch(const std::int8_t* plane, const AttnI8Args& a) {
  Cursor c{a.runs, a.n_runs};
  for (int j = 0; j < kPrefetchRows && c.valid(); ++j)
    prefetch_next(plane, c, static_cast<std::size_t>(a.hd));
  return c;
}

inline __m256i widen16(const std::int8_t* p) {
  return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// In place: d[r] holds 8 dwords of row r (r < 8) → d[c] holds dword c of rows 0..7, in row order.
inline void transpose8(__m256i (&d)[8]) {
  __m256i t[8], u[8];
  for (int r = 0; r < 8; r += 2) {
    t[r] = _mm256_unpacklo_epi32(d[r], d[r + 1]);
    t[r + 1] = _mm256_unpackhi_epi32(d[r], d[r + 1]);
  }
  // u[4h + m]'s 128-bit lane L = dword 4L + m of rows 4h..4h+3.
  for (int h = 0; h < 2; ++h) {
    u[4 * h] = _mm256_unpacklo_epi64(t[4 * h], t[4 * h + 2]);
    u[4 * h + 1] = _mm256_unpackhi_epi64(t[4 * h], t[4 * h + 2]);
    u[4 * h + 2] = _mm256_unpacklo_epi64(t[4 * h + 1], t[4 * h + 3]);
    u[4 * h + 3] = _mm256_unpackhi_epi64(t[4 * h + 1], t[4 * h + 3]);
  }
  for (int m = 0; m < 4; ++m) {
    d[m] = _mm256_permute2x128_si256(u[m], u[4 + m], 0x20);
    d[4 + m] = _mm256_permute2x128_si256(u[m], u[4 + m], 0x31);
  }
}

// Scores 8 positions at a time, one per lane, as the AVX-512 kernel does with 16: the block's K
// rows are transposed 32 bytes at a time so that vector c holds bytes 4c..4c+3 of every row. With
// no VNNI the 4-byte dot is vpmaddubsw(|q|, K · sign(q)) — each pair ≤ 2 · 127 · 127 < 2^15, so
// it cannot saturate — then vpmaddwd by ones: exact.
template <int kGroup>
void scores(const AttnI8Args& a) {
  const std::size_t hd = static_cast<std::size_t>(a.hd);
  // q's bytes as dwords, and their absolute values, zero past head_dim to a multiple of 8 dwords.
  std::int32_t q32[kGroup][64], qabs32[kGroup][64];
  for (int g = 0; g < kGroup; ++g) {
    for (int c = 0; c < 64; ++c) q32[g][c] = qabs32[g][c] = 0;
    __builtin_memcpy(q32[g], a.q8 + g * a.hd, hd);
    std::int8_t abs_bytes[256];
    for (std::size_t d = 0; d < hd; ++d) {
      const std::int8_t v = a.q8[g * a.hd + static_cast<int>(d)];
      abs_bytes[d] = static_cast<std::int8_t>(v < 0 ? -v : v);
    }
    __builtin_memcpy(qabs32[g], abs_bytes, hd);
  }
  const __m256i ones = _mm256_set1_epi16(1);
  Cursor pf = start_prefetch(a.k, a);
  const std::int8_t* rows[8];
  Cursor at{a.runs, a.n_runs};  // each position's row, in order along the runs
  for (int p = 0; p < a.ctx; p += 8) {
    const int n = a.ctx - p < 8 ? a.ctx - p : 8;
    for (int j = 0; j < n; ++j) {
      rows[j] = a.k + static_cast<std::size_t>(at.slot()) * hd;
      at.next();
      prefetch_next(a.k, pf, hd);
    }
    for (int j = n; j < 8; ++j) rows[j] = rows[0];  // padding lanes: computed, never stored
    __m256i acc[kGroup];
    for (int g = 0; g < kGroup; ++g) acc[g] = _mm256_setzero_si256();
    for (int c0 = 0; c0 < a.hd; c0 += 32) {
      __m256i d[8];
      for (int j = 0; j < 8; ++j)  // head_dim % 32 == 16: the last 16 bytes, zero above
        d[j] = a.hd - c0 >= 32 ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[j] + c0))
                               : _mm256_zextsi128_si256(_mm_loadu_si128(
                                     reinterpret_cast<const __m128i*>(rows[j] + c0)));
      transpose8(d);
      for (int c = 0; c < 8; ++c)
#pragma GCC unroll 8
        for (int g = 0; g < kGroup; ++g) {
          const __m256i signed_k = _mm256_sign_epi8(d[c], _mm256_set1_epi32(q32[g][c0 / 4 + c]));
          const __m256i pairs =
              _mm256_maddubs_epi16(_mm256_set1_epi32(qabs32[g][c0 / 4 + c]), signed_k);
          acc[g] = _mm256_add_epi32(acc[g], _mm256_madd_epi16(pairs, ones));
        }
    }
    alignas(32) float out[8];
    for (int g = 0; g < kGroup; ++g) {
      _mm256_store_ps(out, _mm256_cvtepi32_ps(acc[g]));
      for (int j = 0; j < n; ++j)
        a.scores[g * a.ctx + p + j] = out[j] * (a.q_scale[g] * a.k_scale[p + j]);
    }
  }
}

#include "model/cpu/exp_avx2.inc"
#include "model/cpu/exp_scalar.inc"

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

// The reference's weight quantization (attention_i8.h), 8 lanes at a time; returns σ (0: an
// all-zero chunk, wq untouched).
inline float quantize_weights(const float* w, int n, std::int16_t* wq) {
  float m = 0.0f;
  for (int i = 0; i < n; ++i) m = w[i] > m ? w[i] : m;
  if (m == 0.0f) return 0.0f;
  const float inv = 32767.0f / m;
  const __m256 vinv = _mm256_set1_ps(inv);
  const __m256i top = _mm256_set1_epi32(32767), zero = _mm256_setzero_si256();
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i q = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(w + i), vinv));
    q = _mm256_max_epi32(_mm256_min_epi32(q, top), zero);
    alignas(32) std::int32_t lanes[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), q);
    for (int l = 0; l < 8; ++l) wq[i + l] = static_cast<std::int16_t>(lanes[l]);
  }
  for (; i < n; ++i) {
    float x = __builtin_nearbyintf(w[i] * inv);
    x = x < 0.0f ? 0.0f : (x > 32767.0f ? 32767.0f : x);
    wq[i] = static_cast<std::int16_t>(x);
  }
  if (n % 2 != 0) wq[n] = 0;
  return m / 32767.0f;
}

// out (in the (lo | hi) layout per 16 dimensions: lo = dims 0–3, 8–11; hi = 4–7, 12–15) of kH
// heads from g0 += σ_c · Σ_{p∈c} wq[p] · V8[p] per chunk: rows of two positions widened to int16
// and interleaved per dimension, vpmaddwd adds both positions' products exactly.
template <int kH>
void v_heads(const AttnI8Args& a, int g0, const std::int8_t* const* rows, int c, int n,
             Cursor* pf) {
  const std::size_t hd = static_cast<std::size_t>(a.hd);
  const int chunks = a.wq_stride / 64, pairs = (n + 1) / 2;
  for (int d0 = 0; d0 < a.hd; d0 += 16) {
    __m256i acc[kH][2];
#pragma GCC unroll 4
    for (int h = 0; h < kH; ++h) acc[h][0] = acc[h][1] = _mm256_setzero_si256();
    for (int j = 0; j < pairs; ++j) {
      if (pf != nullptr && d0 == 0) {
        prefetch_next(a.v, *pf, hd);
        prefetch_next(a.v, *pf, hd);
      }
      const __m256i x = widen16(rows[2 * j] + d0), y = widen16(rows[2 * j + 1] + d0);
      const __m256i lo = _mm256_unpacklo_epi16(x, y), hi = _mm256_unpackhi_epi16(x, y);
#pragma GCC unroll 4
      for (int h = 0; h < kH; ++h) {
        const std::int16_t* q = a.wq + (g0 + h) * a.wq_stride + 64 * c + 2 * j;
        const __m256i w = _mm256_set1_epi32(static_cast<std::int32_t>(
            static_cast<std::uint16_t>(q[0]) | (static_cast<std::uint32_t>(q[1]) << 16)));
        acc[h][0] = _mm256_add_epi32(acc[h][0], _mm256_madd_epi16(lo, w));
        acc[h][1] = _mm256_add_epi32(acc[h][1], _mm256_madd_epi16(hi, w));
      }
    }
#pragma GCC unroll 4
    for (int h = 0; h < kH; ++h) {
      const float sigma = a.w_scale[(g0 + h) * chunks + c];
      if (sigma == 0.0f) continue;  // as the reference: an all-zero chunk adds nothing
      float* o = a.out + (g0 + h) * a.hd + d0;
      for (int k = 0; k < 2; ++k)
        _mm256_storeu_ps(o + 8 * k,
                         _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[h][k]), _mm256_set1_ps(sigma),
                                         _mm256_loadu_ps(o + 8 * k)));
    }
  }
}

template <int kGroup>
void attend(const AttnI8Args& a) {
  scores<kGroup>(a);
  const int chunks = a.wq_stride / 64;
  for (int g = 0; g < kGroup; ++g) {
    float* s = a.scores + static_cast<std::size_t>(g) * a.ctx;
    softmax(s, a.ctx);
    for (int i = 0; i < a.ctx; ++i) s[i] *= a.v_scale[i];
    for (int c = 0; c < chunks; ++c) {
      const int n = a.ctx - 64 * c < 64 ? a.ctx - 64 * c : 64;
      a.w_scale[g * chunks + c] = quantize_weights(s + 64 * c, n, a.wq + g * a.wq_stride + 64 * c);
    }
  }
  for (int i = 0; i < kGroup * a.hd; ++i) a.out[i] = 0.0f;
  const std::size_t hd = static_cast<std::size_t>(a.hd);
  Cursor pf = start_prefetch(a.v, a);
  const std::int8_t* rows[65];
  Cursor at{a.runs, a.n_runs};  // each position's row, in order along the runs
  for (int c = 0; c < chunks; ++c) {
    const int n = a.ctx - 64 * c < 64 ? a.ctx - 64 * c : 64;
    for (int j = 0; j < n; ++j) {
      rows[j] = a.v + static_cast<std::size_t>(at.slot()) * hd;
      at.next();
    }
    rows[n] = rows[n - 1];  // an odd chunk's last pair: that row again, at weight 0
    int g0 = 0;
    for (; g0 + 4 <= kGroup; g0 += 4) v_heads<4>(a, g0, rows, c, n, g0 == 0 ? &pf : nullptr);
    if constexpr (kGroup % 4 == 1) v_heads<1>(a, g0, rows, c, n, g0 == 0 ? &pf : nullptr);
    if constexpr (kGroup % 4 == 2) v_heads<2>(a, g0, rows, c, n, g0 == 0 ? &pf : nullptr);
    if constexpr (kGroup % 4 == 3) v_heads<3>(a, g0, rows, c, n, g0 == 0 ? &pf : nullptr);
  }
  for (int g = 0; g < kGroup; ++g)  // (lo | hi) back to dimension order
    for (int d0 = 0; d0 < a.hd; d0 += 16) {
      float* o = a.out + g * a.hd + d0;
      const __m256 lo = _mm256_loadu_ps(o), hi = _mm256_loadu_ps(o + 8);
      _mm256_storeu_ps(o, _mm256_permute2f128_ps(lo, hi, 0x20));
      _mm256_storeu_ps(o + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
    }
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
