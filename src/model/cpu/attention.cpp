#include "model/cpu/attention.h"

#include <cmath>

#include "base/error.h"
#include "model/cpu/attention_bf16.h"
#include "model/cpu/attention_i8.h"
#include "model/cpu/kv_run.h"
#include "model/cpu/vector_math.h"  // also brings <immintrin.h> under AVX-512

namespace odma::model::cpu {
namespace {

// `n` consecutive positions whose K/V rows sit at slots [slot, slot + n): one extent, or one block.
using Run = KvRun;

// A run starts away from the previous one, where no hardware prefetcher will guess: fetch its
// first rows (up to 1 KiB) of the plane while the current run is processed.
inline void prefetch_run_start(const float* plane, const Run& run, int row_floats) {
  const char* start = reinterpret_cast<const char*>(
      plane + static_cast<std::size_t>(run.slot) * static_cast<std::size_t>(row_floats));
  const std::size_t bytes =
      std::min<std::size_t>(static_cast<std::size_t>(run.n) * row_floats * sizeof(float), 1024);
  for (std::size_t b = 0; b < bytes; b += 64) __builtin_prefetch(start + b);
}

#if defined(__AVX512F__)
// GCC 12's shuffle intrinsics pass an _mm512_undefined_ps() that -W(maybe-)uninitialized flags.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// Software prefetch distance within a run (the hardware prefetcher misses run starts and lags).
constexpr int kPrefetchBytes = 2048;

// Scores of kGroup (≤ 8) heads against kRows K rows of kVecs × 16 floats; compile-time sizes keep
// the accumulators in registers. Each q vector is loaded once for all kRows rows (a GQA group of 7
// at head_dim 128 cannot keep q in registers), and the kRows × kGroup ≤ 16 dot products share
// hsum8 trees; the tree each vector goes through is the same in every slot, and every accumulator
// sees its FMAs in the same order, so grouping rows changes no bit.
template <int kGroup>
constexpr int kScoreRows = kGroup >= 8 ? 2 : (16 / kGroup > 8 ? 8 : 16 / kGroup);

template <int kVecs, int kGroup, int kRows>
__attribute__((always_inline)) inline void score_block(const float* k, const float* q, float scale,
                                                       float* s, int stride) {
  constexpr int kN = kRows * kGroup;
  static_assert(kN <= 16);
  __m512 acc[16];
#pragma GCC unroll 16
  for (int a = 0; a < 16; ++a) acc[a] = _mm512_setzero_ps();
#pragma GCC unroll 8
  for (int v = 0; v < kVecs; ++v) {
    __m512 kv[kRows];
#pragma GCC unroll 8
    for (int r = 0; r < kRows; ++r) kv[r] = _mm512_loadu_ps(k + r * kVecs * 16 + 16 * v);
#pragma GCC unroll 8
    for (int g = 0; g < kGroup; ++g) {
      const __m512 qv = _mm512_loadu_ps(q + g * kVecs * 16 + 16 * v);
#pragma GCC unroll 8
      for (int r = 0; r < kRows; ++r)
        acc[r * kGroup + g] = _mm512_fmadd_ps(qv, kv[r], acc[r * kGroup + g]);
    }
  }
  float dots[16];
  hsum8(acc, scale, dots, kN < 8 ? kN : 8);
  if constexpr (kN > 8) hsum8(acc + 8, scale, dots + 8, kN - 8);
#pragma GCC unroll 8
  for (int r = 0; r < kRows; ++r) {
#pragma GCC unroll 8
    for (int g = 0; g < kGroup; ++g) s[g * stride + r] = dots[r * kGroup + g];
  }
}

// Scores of kGroup heads against K rows [0, n), kScoreRows rows per block.
template <int kVecs, int kGroup>
void score_rows(const float* k, int n, const float* q, float scale, float* s, int stride) {
  constexpr int kRows = kScoreRows<kGroup>;
  constexpr std::size_t kRowFloats = kVecs * 16;
  int i = 0;
  for (; i + kRows <= n; i += kRows) {
    const float* row = k + static_cast<std::size_t>(i) * kRowFloats;
    for (std::size_t b = 0; b < kRows * kRowFloats * 4; b += 64)
      _mm_prefetch(reinterpret_cast<const char*>(row) + kPrefetchBytes + b, _MM_HINT_T0);
    score_block<kVecs, kGroup, kRows>(row, q, scale, s + i, stride);
  }
  for (; i < n; ++i)
    score_block<kVecs, kGroup, 1>(k + static_cast<std::size_t>(i) * kRowFloats, q, scale, s + i,
                                  stride);
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

// Register accumulators of kHeads heads × kVecs vectors: loaded from / stored to out[head][hd].
template <int kVecs, int kHeads>
__attribute__((always_inline)) inline void load_heads(__m512 (&acc)[kHeads][kVecs],
                                                      const float* out) {
#pragma GCC unroll 8
  for (int g = 0; g < kHeads; ++g)
#pragma GCC unroll 8
    for (int j = 0; j < kVecs; ++j) acc[g][j] = _mm512_loadu_ps(out + (g * kVecs + j) * 16);
}

template <int kVecs, int kHeads>
__attribute__((always_inline)) inline void store_heads(const __m512 (&acc)[kHeads][kVecs],
                                                       float* out) {
#pragma GCC unroll 8
  for (int g = 0; g < kHeads; ++g)
#pragma GCC unroll 8
    for (int j = 0; j < kVecs; ++j) _mm512_storeu_ps(out + (g * kVecs + j) * 16, acc[g][j]);
}

// acc[g] += w[g * stride] · V row, for every head: the row is loaded once for all of them.
template <int kVecs, int kHeads>
__attribute__((always_inline)) inline void fma_row(__m512 (&acc)[kHeads][kVecs], const float* row,
                                                   const float* w, int stride) {
  __m512 vr[kVecs];
#pragma GCC unroll 8
  for (int j = 0; j < kVecs; ++j) vr[j] = _mm512_loadu_ps(row + 16 * j);
#pragma GCC unroll 8
  for (int g = 0; g < kHeads; ++g) {
    const __m512 wi = _mm512_set1_ps(w[g * stride]);
#pragma GCC unroll 8
    for (int j = 0; j < kVecs; ++j) acc[g][j] = _mm512_fmadd_ps(wi, vr[j], acc[g][j]);
  }
}

// out_g += w_g[p] · V row of position p for every position of `runs`. Each element gets one FMA
// per position in position order, exactly as axpy() would, whatever the grouping below.
//
// When every head of the group fits in registers (kGroup × kVecs ≤ 24 accumulators) one pass reads
// each V row once for all heads, and the accumulators stay in registers across runs: a paged
// sequence pays only the jumps between blocks, not a reload per block.
template <int kVecs, int kGroup>
void accumulate_all_heads(const float* vp, const Run* runs, int n_runs, const float* w, int stride,
                          float* out) {
  constexpr std::size_t kRowFloats = kVecs * 16;
  __m512 acc[kGroup][kVecs];
  load_heads<kVecs, kGroup>(acc, out);
  int p = 0;
  for (int r = 0; r < n_runs; ++r) {
    const float* v = vp + static_cast<std::size_t>(runs[r].slot) * kRowFloats;
    if (r + 1 < n_runs) prefetch_run_start(vp, runs[r + 1], kRowFloats);
    for (int i = 0; i < runs[r].n; ++i, ++p) {
      const float* row = v + static_cast<std::size_t>(i) * kRowFloats;
      _mm_prefetch(reinterpret_cast<const char*>(row) + kPrefetchBytes, _MM_HINT_T0);
      fma_row<kVecs, kGroup>(acc, row, w + p, stride);
    }
  }
  store_heads<kVecs, kGroup>(acc, out);
}

// Heads [0, kHeads) of `out` += rows [c0, c1) of one run, the accumulators in registers.
template <int kVecs, int kHeads>
__attribute__((always_inline)) inline void accumulate_heads(const float* v, int c0, int c1,
                                                            const float* w, int stride,
                                                            float* out) {
  __m512 acc[kHeads][kVecs];
  load_heads<kVecs, kHeads>(acc, out);
  for (int i = c0; i < c1; ++i)
    fma_row<kVecs, kHeads>(acc, v + static_cast<std::size_t>(i) * kVecs * 16, w + i, stride);
  store_heads<kVecs, kHeads>(acc, out);
}

// Otherwise (large groups × head_dim) rows go in L1-sized chunks; within a chunk the heads go in
// register-resident subsets of up to 24 accumulators, so V comes from memory once and from L1 once
// per subset instead of once per head.
template <int kVecs>
void accumulate_chunked(const float* v, int n, const float* w, int group, int stride, float* out) {
  constexpr int kChunkRows = 256 / kVecs;  // 16 KiB of V per chunk: half of L1d
  constexpr int kSub = 24 / kVecs;
  for (int c0 = 0; c0 < n; c0 += kChunkRows) {
    const int c1 = std::min(n, c0 + kChunkRows);
    for (int g0 = 0; g0 < group; g0 += kSub) {
      const float* wg = w + g0 * stride;
      float* o = out + g0 * kVecs * 16;
      switch (std::min(kSub, group - g0)) {
        case 1:
          accumulate_heads<kVecs, 1>(v, c0, c1, wg, stride, o);
          break;
        case 2:
          accumulate_heads<kVecs, 2>(v, c0, c1, wg, stride, o);
          break;
        case 3:
          accumulate_heads<kVecs, 3>(v, c0, c1, wg, stride, o);
          break;
        case 4:
          accumulate_heads<kVecs, (kSub >= 4 ? 4 : 1)>(v, c0, c1, wg, stride, o);
          break;
        case 5:
          accumulate_heads<kVecs, (kSub >= 5 ? 5 : 1)>(v, c0, c1, wg, stride, o);
          break;
        default:
          accumulate_heads<kVecs, (kSub >= 6 ? 6 : 1)>(v, c0, c1, wg, stride, o);
          break;
      }
    }
  }
}

// Register-resident pass for the (head_dim, group) shapes that fit; false if this one does not.
bool accumulate_runs_fast(const float* vp, const Run* runs, int n_runs, int hd, const float* w,
                          int group, int stride, float* out) {
  if (hd == 64) {
    switch (group) {
      case 1:
        return accumulate_all_heads<4, 1>(vp, runs, n_runs, w, stride, out), true;
      case 2:
        return accumulate_all_heads<4, 2>(vp, runs, n_runs, w, stride, out), true;
      case 3:
        return accumulate_all_heads<4, 3>(vp, runs, n_runs, w, stride, out), true;
      case 4:
        return accumulate_all_heads<4, 4>(vp, runs, n_runs, w, stride, out), true;
      case 5:
        return accumulate_all_heads<4, 5>(vp, runs, n_runs, w, stride, out), true;
      case 6:
        return accumulate_all_heads<4, 6>(vp, runs, n_runs, w, stride, out), true;
      default:
        return false;
    }
  }
  if (hd == 128) {
    switch (group) {
      case 1:
        return accumulate_all_heads<8, 1>(vp, runs, n_runs, w, stride, out), true;
      case 2:
        return accumulate_all_heads<8, 2>(vp, runs, n_runs, w, stride, out), true;
      case 3:
        return accumulate_all_heads<8, 3>(vp, runs, n_runs, w, stride, out), true;
      default:
        return false;
    }
  }
  return false;
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

// out_g += Σ_p w[g * stride + p] · V row of position p over every run, in position order.
void accumulate_runs(const float* vp, const std::vector<Run>& runs, int hd, const float* w,
                     int group, int stride, float* out) {
  const int n_runs = static_cast<int>(runs.size());
#if defined(__AVX512F__)
  if (accumulate_runs_fast(vp, runs.data(), n_runs, hd, w, group, stride, out)) return;
#endif
  int p = 0;
  for (const Run& r : runs) {
    const float* v = vp + static_cast<std::size_t>(r.slot) * hd;
#if defined(__AVX512F__)
    if (hd == 128)
      accumulate_chunked<8>(v, r.n, w + p, group, stride, out);
    else if (hd == 64)
      accumulate_chunked<4>(v, r.n, w + p, group, stride, out);
    else
#endif
      for (int i = 0; i < r.n; ++i) {
        const float* row = v + static_cast<std::size_t>(i) * hd;
        for (int g = 0; g < group; ++g) axpy(out + g * hd, w[g * stride + p + i], row, hd);
      }
    p += r.n;
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

// The shared body of both kernels: scores run by run, softmax, then V over all runs.
void attend_runs(const KvStorage& st, int layer, int kv_head, int group,
                 const std::vector<Run>& runs, int ctx, const float* q, float* out) {
  const int hd = st.head_dim();
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  float* s = scratch(static_cast<std::size_t>(group) * ctx).data();
  const float* kp = st.plane(layer, 0, kv_head);
  int p = 0;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    if (r + 1 < runs.size()) prefetch_run_start(kp, runs[r + 1], hd);
    score_run(kp + static_cast<std::size_t>(runs[r].slot) * hd, runs[r].n, hd, q, group, scale, s,
              ctx, p);
    p += runs[r].n;
  }
  softmax_and_clear(s, group, ctx, out, hd);
  accumulate_runs(st.plane(layer, 1, kv_head), runs, hd, s, group, ctx, out);
}

std::vector<Run>& run_scratch() {
  thread_local std::vector<Run> runs;
  runs.clear();
  return runs;
}

// The first ctx positions of `kv` as runs: one per extent (contiguous) or per block (paged).
void collect_runs(const SeqKv& kv, int ctx, std::vector<Run>& runs) {
  if (kv.is_paged()) {
    const int bt = kv.block_tokens;
    for (int p = 0, b = 0; p < ctx; p += bt, ++b)
      runs.push_back({kv.block_table[static_cast<std::size_t>(b)], std::min(bt, ctx - p)});
    return;
  }
  int p = 0;
  for (const auto& e : kv.extents) {
    if (p >= ctx) break;
    const int n = static_cast<int>(std::min<std::int64_t>(e.length, ctx - p));
    runs.push_back({e.offset, n});
    p += n;
  }
}

}  // namespace

void attend_contiguous(const KvStorage& st, int layer, int kv_head, int group, const SeqKv& kv,
                       int ctx, const float* q, float* out) {
  std::vector<Run>& runs = run_scratch();
  collect_runs(kv, ctx, runs);
  attend_runs(st, layer, kv_head, group, runs, ctx, q, out);
}

void attend_paged(const KvStorage& st, int layer, int kv_head, int group, const SeqKv& kv, int ctx,
                  const float* q, float* out) {
  std::vector<Run>& runs = run_scratch();
  collect_runs(kv, ctx, runs);
  attend_runs(st, layer, kv_head, group, runs, ctx, q, out);
}

void attention(const KvStorage& st, int layer, int num_heads, std::span<const AttentionItem> items,
               ThreadPool& pool) {
  const int kvh = st.num_kv_heads(), hd = st.head_dim();
  if (num_heads % kvh != 0) throw Error("attention: num_heads is not a multiple of kv heads");
  const int group = num_heads / kvh;
  // Task t → (item, token, kv head); prefix sums of tokens locate the item. Per calling thread,
  // kept between steps (it only grows), and named through a reference for the task lambda.
  thread_local std::vector<int> per_thread;
  std::vector<int>& first_task = per_thread;
  first_task.assign(items.size() + 1, 0);
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
    if (st.dtype() == DType::kBF16) {
      std::vector<Run>& runs = run_scratch();
      collect_runs(*it.kv, ctx, runs);
      attend_bf16(st.plane_bf16(layer, 0, h), st.plane_bf16(layer, 1, h), hd, group, runs.data(),
                  static_cast<int>(runs.size()), it.q + off, it.out + off);
    } else if (st.dtype() == DType::kI8) {
      std::vector<Run>& runs = run_scratch();
      collect_runs(*it.kv, ctx, runs);
      attend_i8(st.plane_i8(layer, 0, h), st.scales(layer, 0, h), st.plane_i8(layer, 1, h),
                st.scales(layer, 1, h), hd, group, runs.data(), static_cast<int>(runs.size()),
                it.q + off, it.out + off);
    } else if (it.kv->is_paged()) {
      attend_paged(st, layer, h, group, *it.kv, ctx, it.q + off, it.out + off);
    } else {
      attend_contiguous(st, layer, h, group, *it.kv, ctx, it.q + off, it.out + off);
    }
  });
}

}  // namespace odma::model::cpu
