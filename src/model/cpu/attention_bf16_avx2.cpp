// Decode attention over BF16 K/V, AVX2 + FMA (compiled with -mavx2 -mfma), head_dim % 16 == 0 and
// ≤ 256, group ≤ 8: scores by BF16→F32 widening (shift/mask) + FMA against q split into even/odd
// halves per 16-dim block; softmax with the engine's polynomial exp; V accumulated in F32
// registers, 16-dim slices × up to 4 heads per pass over 64-position chunks. Determinism as in
// attention_bf16.h. Rules for this file: kernels_internal.h.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "model/cpu/kernels_internal.h"

namespace odma::model::cpu::detail {
namespace {

constexpr int kPrefetchBytes = 2048;

#include "model/cpu/kv_cursor.inc"

inline void prefetch_row(const std::uint16_t* plane, const Cursor& c, int row_bytes) {
  if (!c.valid()) return;
  const char* p = reinterpret_cast<const char*>(plane) + c.slot() * row_bytes;
  for (int b = 0; b < row_bytes; b += 64) _mm_prefetch(p + b, _MM_HINT_T0);
}

Cursor start_prefetch(const std::uint16_t* plane, const AttnArgs& a, int row_bytes, int rows) {
  Cursor c{a.runs, a.n_runs};
  for (int j = 0; j < rows && c.valid(); ++j) {
    prefetch_row(plane, c, row_bytes);
    c.next();
  }
  return c;
}

inline __m256 even(__m256i w) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
}
inline __m256 odd(__m256i w) {
  return _mm256_castsi256_ps(_mm256_and_si256(w, _mm256_set1_epi32(static_cast<int>(0xFFFF0000u))));
}

inline float hsum(__m256 v) {
  const __m128 l = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 h = _mm_add_ps(l, _mm_movehl_ps(l, l));
  return _mm_cvtss_f32(_mm_add_ss(h, _mm_shuffle_ps(h, h, 0x1)));
}

// Scores of kGroup heads against one K row; q prepared as [16-dim block][8 even | 8 odd].
template <int kGroup>
void score_row(const std::uint16_t* row, int hd, const float* qp, float scale, float* s,
               int stride) {
  __m256 acc[kGroup];
#pragma GCC unroll 8
  for (int g = 0; g < kGroup; ++g) acc[g] = _mm256_setzero_ps();
  for (int v = 0; v < hd / 16; ++v) {
    const __m256i kw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 16 * v));
    const __m256 ke = even(kw), ko = odd(kw);
#pragma GCC unroll 8
    for (int g = 0; g < kGroup; ++g) {
      const float* q = qp + static_cast<std::size_t>(g) * hd + 16 * v;
      acc[g] = _mm256_fmadd_ps(_mm256_loadu_ps(q), ke, acc[g]);
      acc[g] = _mm256_fmadd_ps(_mm256_loadu_ps(q + 8), ko, acc[g]);
    }
  }
#pragma GCC unroll 8
  for (int g = 0; g < kGroup; ++g) s[g * stride] = hsum(acc[g]) * scale;
}

template <int kGroup>
void scores(const AttnArgs& a, const float* qp, float scale) {
  const int row_bytes = a.hd * 2;
  const int dist = kPrefetchBytes / row_bytes > 0 ? kPrefetchBytes / row_bytes : 1;
  Cursor pf = start_prefetch(a.k, a, row_bytes, dist);
  int p = 0;
  for (int r = 0; r < a.n_runs; ++r) {
    const std::uint16_t* k = a.k + static_cast<std::size_t>(a.runs[r].slot) * a.hd;
    for (int i = 0; i < a.runs[r].n; ++i, ++p) {
      prefetch_row(a.k, pf, row_bytes);
      pf.next();
      score_row<kGroup>(k + static_cast<std::size_t>(i) * a.hd, a.hd, qp, scale, a.scores + p,
                        a.ctx);
    }
  }
}

void scores_any(const AttnArgs& a, const float* qp, float scale) {
  switch (a.group) {
    case 1:
      return scores<1>(a, qp, scale);
    case 2:
      return scores<2>(a, qp, scale);
    case 3:
      return scores<3>(a, qp, scale);
    case 4:
      return scores<4>(a, qp, scale);
    case 5:
      return scores<5>(a, qp, scale);
    case 6:
      return scores<6>(a, qp, scale);
    case 7:
      return scores<7>(a, qp, scale);
    default:
      return scores<8>(a, qp, scale);
  }
}

#include "model/cpu/exp_avx2.inc"
#include "model/cpu/exp_scalar.inc"

void softmax(float* x, int n) {
  float m = x[0];
  for (int i = 1; i < n; ++i) m = x[i] > m ? x[i] : m;
  const __m256 vm = _mm256_set1_ps(m);
  __m256 vsum = _mm256_setzero_ps();
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 e = exp_nonpositive8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm));
    _mm256_storeu_ps(x + i, e);
    vsum = _mm256_add_ps(vsum, e);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, vsum);
  float sum = 0.0f;
  for (float l : lanes) sum += l;
  for (; i < n; ++i) {
    x[i] = exp_nonpositive(x[i] - m);
    sum += x[i];
  }
  const float inv = 1.0f / sum;
  for (i = 0; i < n; ++i) x[i] *= inv;
}

// Heads [h0, h0 + kHeads) × one 16-dim slice, over positions [p, end) starting at (r, i).
template <int kHeads>
void slice_pass(const AttnArgs& a, float* vacc, int h0, int sl, int p, int end, int r, int i,
                Cursor* pf) {
  const int hd = a.hd;
  __m256 ae[kHeads], ao[kHeads];
#pragma GCC unroll 4
  for (int g = 0; g < kHeads; ++g) {
    float* acc = vacc + static_cast<std::size_t>(h0 + g) * hd + 16 * sl;
    ae[g] = p == 0 ? _mm256_setzero_ps() : _mm256_loadu_ps(acc);
    ao[g] = p == 0 ? _mm256_setzero_ps() : _mm256_loadu_ps(acc + 8);
  }
  for (int pp = p; pp < end;) {
    const int left = a.runs[r].n - i;
    const int take = left < end - pp ? left : end - pp;
    const std::uint16_t* base = a.v + static_cast<std::size_t>(a.runs[r].slot + i) * hd + 16 * sl;
    const float* w = a.scores + static_cast<std::size_t>(h0) * a.ctx + pp;
    for (int j = 0; j < take; ++j) {
      if (pf != nullptr) {
        prefetch_row(a.v, *pf, hd * 2);
        pf->next();
      }
      const __m256i vw = _mm256_loadu_si256(
          reinterpret_cast<const __m256i*>(base + static_cast<std::size_t>(j) * hd));
      const __m256 ve = even(vw), vo = odd(vw);
#pragma GCC unroll 4
      for (int g = 0; g < kHeads; ++g) {
        const __m256 wg = _mm256_set1_ps(w[g * a.ctx + j]);
        ae[g] = _mm256_fmadd_ps(wg, ve, ae[g]);
        ao[g] = _mm256_fmadd_ps(wg, vo, ao[g]);
      }
    }
    pp += take;
    i += take;
    if (i == a.runs[r].n) {
      ++r;
      i = 0;
    }
  }
#pragma GCC unroll 4
  for (int g = 0; g < kHeads; ++g) {
    float* acc = vacc + static_cast<std::size_t>(h0 + g) * hd + 16 * sl;
    _mm256_storeu_ps(acc, ae[g]);
    _mm256_storeu_ps(acc + 8, ao[g]);
  }
}

void accumulate_v(const AttnArgs& a, float* vacc) {
  constexpr int kChunk = 64;
  const int row_bytes = a.hd * 2;
  const int dist = kPrefetchBytes / row_bytes > 0 ? kPrefetchBytes / row_bytes : 1;
  Cursor pf = start_prefetch(a.v, a, row_bytes, dist);
  int r = 0, i = 0;
  for (int p = 0; p < a.ctx;) {
    const int end = a.ctx < p + kChunk ? a.ctx : p + kChunk;
    for (int sl = 0; sl < a.hd / 16; ++sl)
      for (int h0 = 0; h0 < a.group; h0 += 4) {
        Cursor* c = sl == 0 && h0 == 0 ? &pf : nullptr;  // the first pass pulls the rows in
        switch (a.group - h0 < 4 ? a.group - h0 : 4) {
          case 1:
            slice_pass<1>(a, vacc, h0, sl, p, end, r, i, c);
            break;
          case 2:
            slice_pass<2>(a, vacc, h0, sl, p, end, r, i, c);
            break;
          case 3:
            slice_pass<3>(a, vacc, h0, sl, p, end, r, i, c);
            break;
          default:
            slice_pass<4>(a, vacc, h0, sl, p, end, r, i, c);
            break;
        }
      }
    for (int pp = p; pp < end;) {  // advance (r, i) to `end`
      const int left = a.runs[r].n - i;
      const int take = left < end - pp ? left : end - pp;
      pp += take;
      i += take;
      if (i == a.runs[r].n) {
        ++r;
        i = 0;
      }
    }
    p = end;
  }
}

}  // namespace

void attend_bf16_avx2(const AttnArgs& a) {
  const int hd = a.hd;
  float* qp = a.work;
  float* vacc = a.work + static_cast<std::size_t>(a.group) * hd;
  for (int g = 0; g < a.group; ++g)
    for (int v = 0; v < hd / 16; ++v)
      for (int j = 0; j < 16; ++j)
        qp[g * hd + 16 * v + (j % 2) * 8 + j / 2] = a.q[g * hd + 16 * v + j];
  scores_any(a, qp, 1.0f / __builtin_sqrtf(static_cast<float>(hd)));
  for (int g = 0; g < a.group; ++g) softmax(a.scores + static_cast<std::size_t>(g) * a.ctx, a.ctx);
  accumulate_v(a, vacc);
  for (int g = 0; g < a.group; ++g)
    for (int v = 0; v < hd / 16; ++v)
      for (int j = 0; j < 16; ++j)
        a.out[g * hd + 16 * v + j] = vacc[g * hd + 16 * v + (j % 2) * 8 + j / 2];
}

}  // namespace odma::model::cpu::detail
