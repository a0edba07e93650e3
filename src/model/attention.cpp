#include "model/attention.h"

#include <cmath>

#include "base/error.h"
#include "model/vector_math.h"  // also brings <immintrin.h> under AVX-512

namespace odma::model {
namespace {

#if defined(__AVX512F__)
// GCC 12's shuffle intrinsics pass an _mm512_undefined_ps() that -W(maybe-)uninitialized flags.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// Sums of up to 8 vectors at once (missing ones are zero): folds 512→256→128 bits while packing
// vectors together, ~4 ops per sum instead of ~8 for separate reductions. Every row goes through
// the same tree, so scores never depend on the KV layout.
inline void hsum8(const __m512* a, float* out, int n) {
  __m512 b[4], c[2];
  for (int j = 0; j < 4; ++j) {
    const __m512 x = a[2 * j], y = a[2 * j + 1];
    b[j] = _mm512_add_ps(_mm512_shuffle_f32x4(x, y, 0x44), _mm512_shuffle_f32x4(x, y, 0xEE));
  }
  for (int k = 0; k < 2; ++k) {
    const __m512 x = b[2 * k], y = b[2 * k + 1];
    c[k] = _mm512_add_ps(_mm512_shuffle_f32x4(x, y, 0x88), _mm512_shuffle_f32x4(x, y, 0xDD));
  }
  const __m512 d =
      _mm512_add_ps(_mm512_shuffle_ps(c[0], c[1], 0x88), _mm512_shuffle_ps(c[0], c[1], 0xDD));
  const __m512 e = _mm512_add_ps(_mm512_shuffle_ps(d, d, 0x88), _mm512_shuffle_ps(d, d, 0xDD));
  alignas(64) float buf[16];
  _mm512_store_ps(buf, e);
  // 128-bit lane m holds [sum of vector m, sum of vector 4 + m, ...].
  for (int g = 0; g < n; ++g) out[g] = buf[4 * (g % 4) + g / 4];
}

// Scores of kGroup (≤ 8) heads against K rows [0, n) of kVecs × 16 floats; compile-time sizes keep
// the accumulators in registers.
template <int kVecs, int kGroup>
void score_rows(const float* k, int n, const float* q, float scale, float* s, int stride) {
  for (int i = 0; i < n; ++i) {
    const float* row = k + static_cast<std::size_t>(i) * kVecs * 16;
    __m512 acc[8];
    for (int g = 0; g < 8; ++g) acc[g] = _mm512_setzero_ps();
    for (int v = 0; v < kVecs; ++v) {
      const __m512 kv = _mm512_loadu_ps(row + 16 * v);
      for (int g = 0; g < kGroup; ++g) {
        acc[g] = _mm512_fmadd_ps(_mm512_loadu_ps(q + g * kVecs * 16 + 16 * v), kv, acc[g]);
      }
    }
    float dots[8];
    hsum8(acc, dots, kGroup);
    for (int g = 0; g < kGroup; ++g) s[g * stride + i] = dots[g] * scale;
  }
}

template <int kVecs>
void score_rows_any(const float* k, int n, const float* q, int group, float scale, float* s,
                    int stride) {
  switch (group) {
    case 1:
      return score_rows<kVecs, 1>(k, n, q, scale, s, stride);
    case 2:
      return score_rows<kVecs, 2>(k, n, q, scale, s, stride);
    case 3:
      return score_rows<kVecs, 3>(k, n, q, scale, s, stride);
    case 4:
      return score_rows<kVecs, 4>(k, n, q, scale, s, stride);
    case 5:
      return score_rows<kVecs, 5>(k, n, q, scale, s, stride);
    case 6:
      return score_rows<kVecs, 6>(k, n, q, scale, s, stride);
    case 7:
      return score_rows<kVecs, 7>(k, n, q, scale, s, stride);
    default:
      return score_rows<kVecs, 8>(k, n, q, scale, s, stride);
  }
}

// out_g += w_g[i] · V row i for rows [0, n), accumulating in registers across the run; each
// element still gets one FMA per row in position order, exactly as axpy() would.
template <int kVecs>
inline void accumulate_rows(const float* v, int n, const float* w, int group, int stride,
                            float* out) {
  for (int g = 0; g < group; ++g) {
    __m512 acc[kVecs];
    float* o = out + g * kVecs * 16;
    for (int j = 0; j < kVecs; ++j) acc[j] = _mm512_loadu_ps(o + 16 * j);
    const float* wg = w + g * stride;
    for (int i = 0; i < n; ++i) {
      const __m512 wi = _mm512_set1_ps(wg[i]);
      const float* row = v + static_cast<std::size_t>(i) * kVecs * 16;
      for (int j = 0; j < kVecs; ++j)
        acc[j] = _mm512_fmadd_ps(wi, _mm512_loadu_ps(row + 16 * j), acc[j]);
    }
    for (int j = 0; j < kVecs; ++j) _mm512_storeu_ps(o + 16 * j, acc[j]);
  }
}
#pragma GCC diagnostic pop
#endif

// Scores of `group` query heads against K rows [0, n) of one run; s[g * stride + p0 + i].
inline void score_run(const float* k, int n, int hd, const float* q, int group, float scale,
                      float* s, int stride, int p0) {
#if defined(__AVX512F__)
  if (group <= 8 && hd == 128) return score_rows_any<8>(k, n, q, group, scale, s + p0, stride);
  if (group <= 8 && hd == 64) return score_rows_any<4>(k, n, q, group, scale, s + p0, stride);
#endif
  for (int i = 0; i < n; ++i) {
    const float* row = k + static_cast<std::size_t>(i) * hd;
    for (int g = 0; g < group; ++g) s[g * stride + p0 + i] = dot(q + g * hd, row, hd) * scale;
  }
}

// out_g += Σ_i w[g * stride + p0 + i] · V rows [0, n) of one run, row by row in order.
inline void accumulate_run(const float* v, int n, int hd, const float* w, int group, int stride,
                           int p0, float* out) {
#if defined(__AVX512F__)
  if (hd == 128) return accumulate_rows<8>(v, n, w + p0, group, stride, out);
  if (hd == 64) return accumulate_rows<4>(v, n, w + p0, group, stride, out);
#endif
  for (int i = 0; i < n; ++i) {
    const float* row = v + static_cast<std::size_t>(i) * hd;
    for (int g = 0; g < group; ++g) axpy(out + g * hd, w[g * stride + p0 + i], row, hd);
  }
}

std::vector<float>& scratch(std::size_t n) {
  thread_local std::vector<float> buf;
  if (buf.size() < n) buf.resize(n);
  return buf;
}

void softmax_and_clear(float* s, int group, int ctx, float* out, int hd) {
  for (int g = 0; g < group; ++g) softmax(s + static_cast<std::size_t>(g) * ctx, ctx);
  std::fill(out, out + static_cast<std::size_t>(group) * hd, 0.0f);
}

void prefetch_rows(const float* p, std::size_t floats) {
  const char* c = reinterpret_cast<const char*>(p);
  for (std::size_t b = 0; b < floats * sizeof(float); b += 64) __builtin_prefetch(c + b);
}

}  // namespace

void attend_contiguous(const KvStorage& st, int layer, int kv_head, int group, const SeqKv& kv,
                       int ctx, const float* q, float* out) {
  const int hd = st.head_dim();
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  float* s = scratch(static_cast<std::size_t>(group) * ctx).data();
  const float* kp = st.plane(layer, 0, kv_head);
  const float* vp = st.plane(layer, 1, kv_head);
  int p = 0;
  for (const auto& e : kv.extents) {
    if (p >= ctx) break;
    const int n = static_cast<int>(std::min<std::int64_t>(e.length, ctx - p));
    score_run(kp + static_cast<std::size_t>(e.offset) * hd, n, hd, q, group, scale, s, ctx, p);
    p += n;
  }
  softmax_and_clear(s, group, ctx, out, hd);
  p = 0;
  for (const auto& e : kv.extents) {
    if (p >= ctx) break;
    const int n = static_cast<int>(std::min<std::int64_t>(e.length, ctx - p));
    accumulate_run(vp + static_cast<std::size_t>(e.offset) * hd, n, hd, s, group, ctx, p, out);
    p += n;
  }
}

void attend_paged(const KvStorage& st, int layer, int kv_head, int group, const SeqKv& kv, int ctx,
                  const float* q, float* out) {
  const int hd = st.head_dim();
  const int bt = kv.block_tokens;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  float* s = scratch(static_cast<std::size_t>(group) * ctx).data();
  const float* kp = st.plane(layer, 0, kv_head);
  const float* vp = st.plane(layer, 1, kv_head);
  const int blocks = (ctx + bt - 1) / bt;
  const std::size_t block_floats = static_cast<std::size_t>(bt) * hd;
  const auto& table = kv.block_table;
  for (int b = 0; b < blocks; ++b) {
    if (b + 1 < blocks)
      prefetch_rows(kp + static_cast<std::size_t>(table[b + 1]) * hd, block_floats);
    const int p = b * bt, n = std::min(bt, ctx - p);
    score_run(kp + static_cast<std::size_t>(table[b]) * hd, n, hd, q, group, scale, s, ctx, p);
  }
  softmax_and_clear(s, group, ctx, out, hd);
  for (int b = 0; b < blocks; ++b) {
    if (b + 1 < blocks)
      prefetch_rows(vp + static_cast<std::size_t>(table[b + 1]) * hd, block_floats);
    const int p = b * bt, n = std::min(bt, ctx - p);
    accumulate_run(vp + static_cast<std::size_t>(table[b]) * hd, n, hd, s, group, ctx, p, out);
  }
}

void attention(const KvStorage& st, int layer, int num_heads,
               const std::vector<AttentionItem>& items, ThreadPool& pool) {
  const int kvh = st.num_kv_heads(), hd = st.head_dim();
  if (num_heads % kvh != 0) throw Error("attention: num_heads is not a multiple of kv heads");
  const int group = num_heads / kvh;
  // Task t → (item, token, kv head); prefix sums of tokens locate the item.
  std::vector<int> first_task(items.size() + 1, 0);
  for (std::size_t i = 0; i < items.size(); ++i) {
    const AttentionItem& it = items[i];
    if (it.kv == nullptr || it.start_pos + it.n_tokens > it.kv->capacity()) {
      throw Error("attention: item " + std::to_string(i) + " has positions beyond its KV capacity");
    }
    first_task[i + 1] = first_task[i] + it.n_tokens * kvh;
  }
  const std::size_t row = static_cast<std::size_t>(num_heads) * hd;
  pool.parallel_for(first_task.back(), [&](int t) {
    std::size_t i = static_cast<std::size_t>(
        std::upper_bound(first_task.begin(), first_task.end(), t) - first_task.begin() - 1);
    const AttentionItem& it = items[i];
    const int local = t - first_task[i];
    const int tok = local / kvh, h = local % kvh;
    const std::size_t off =
        static_cast<std::size_t>(tok) * row + static_cast<std::size_t>(h) * group * hd;
    const int ctx = it.start_pos + tok + 1;
    if (it.kv->is_paged()) {
      attend_paged(st, layer, h, group, *it.kv, ctx, it.q + off, it.out + off);
    } else {
      attend_contiguous(st, layer, h, group, *it.kv, ctx, it.q + off, it.out + off);
    }
  });
}

}  // namespace odma::model
