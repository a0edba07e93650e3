#include "model/cpu/linear.h"

#include <cblas.h>

#include <algorithm>
#include <cstddef>

#include "model/cpu/projection_tasks.h"
#include "model/cpu/vector_math.h"

namespace odma::model::cpu {
namespace {

#if defined(__AVX512F__)
// Weight rows are streamed once; the prefetcher alone leaves the loads stalled (measured).
constexpr int kPrefetchBytes = 2048;

// Rows [r0, r1) of W against kT token rows of x; in % 16 == 0. Two accumulator chains per token
// (even and odd 16-float blocks) hide the FMA latency at kT = 1; the order of every sum depends
// only on `in`, never on kT, so a token's result does not change with the rows beside it.
template <int kT>
void gemv_rows(const float* x, const float* w, int out, int in, float* y, float beta, int r0,
               int r1) {
  for (int r = r0; r < r1; ++r) {
    const float* row = w + static_cast<std::size_t>(r) * in;
    __m512 acc[8], odd[kT];
#pragma GCC unroll 8
    for (int a = 0; a < 8; ++a) acc[a] = _mm512_setzero_ps();
#pragma GCC unroll 8
    for (int t = 0; t < kT; ++t) odd[t] = _mm512_setzero_ps();
    int k = 0;
    for (; k + 32 <= in; k += 32) {
      _mm_prefetch(reinterpret_cast<const char*>(row + k) + kPrefetchBytes, _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(row + k) + kPrefetchBytes + 64, _MM_HINT_T0);
      const __m512 w0 = _mm512_loadu_ps(row + k), w1 = _mm512_loadu_ps(row + k + 16);
#pragma GCC unroll 8
      for (int t = 0; t < kT; ++t) {
        const float* xt = x + static_cast<std::size_t>(t) * in + k;
        acc[t] = _mm512_fmadd_ps(_mm512_loadu_ps(xt), w0, acc[t]);
        odd[t] = _mm512_fmadd_ps(_mm512_loadu_ps(xt + 16), w1, odd[t]);
      }
    }
    if (k < in) {
      const __m512 w0 = _mm512_loadu_ps(row + k);
#pragma GCC unroll 8
      for (int t = 0; t < kT; ++t)
        acc[t] =
            _mm512_fmadd_ps(_mm512_loadu_ps(x + static_cast<std::size_t>(t) * in + k), w0, acc[t]);
    }
#pragma GCC unroll 8
    for (int t = 0; t < kT; ++t) acc[t] = _mm512_add_ps(acc[t], odd[t]);
    float dots[8];
    hsum8(acc, 1.0f, dots, kT);
#pragma GCC unroll 8
    for (int t = 0; t < kT; ++t) {
      float& dst = y[static_cast<std::size_t>(t) * out + r];
      dst = beta == 0.0f ? dots[t] : dots[t] + beta * dst;
    }
  }
}

using GemvFn = void (*)(const float*, const float*, int, int, float*, float, int, int);
constexpr GemvFn kGemv[kGemvMaxTokens] = {gemv_rows<1>, gemv_rows<2>, gemv_rows<3>, gemv_rows<4>,
                                          gemv_rows<5>, gemv_rows<6>, gemv_rows<7>, gemv_rows<8>};
#endif

}  // namespace

void linear_fused(const float* x, int t, int in, std::span<const Projection> projections,
                  ThreadPool& pool) {
  if (t <= 0) return;
  if (fused_in_slices(projections, [&](auto slice) { linear_fused(x, t, in, slice, pool); }))
    return;
#if defined(__AVX512F__)
  if (t <= kGemvMaxTokens && in % 16 == 0) {
    // ~64 KiB of weights per task: large enough to amortise the claim, small enough to balance.
    const int rows = std::max(1, 16384 / in);
    const ProjectionTasks map(projections, rows);
    const GemvFn fn = kGemv[t - 1];
    pool.parallel_for(map.tasks(), [&](int i) {
      const std::size_t p = map.projection_of(i);
      const Projection& pr = projections[p];
      const int r0 = (i - map.first_task(p)) * rows;
      fn(x, pr.w.f32(), pr.out, in, pr.y, pr.beta, r0, std::min(pr.out, r0 + rows));
    });
    return;
  }
#endif
  // Larger T: single-threaded OpenBLAS sgemm on slices of the weight rows, spread over our pool.
  // One pool for everything: OpenBLAS's own threads would spin (sched_yield) through our
  // attention and GEMV phases and take the cores from them (measured: 27% of a prefill step).
  static const bool single_threaded_blas = [] {
    openblas_set_num_threads(1);
    return true;
  }();
  (void)single_threaded_blas;
  const int slice = std::max(64, 4096 / std::max(1, t) / 16 * 16);  // rows per task
  const ProjectionTasks map(projections, slice);
  pool.parallel_for(map.tasks(), [&](int i) {
    const std::size_t p = map.projection_of(i);
    const Projection& pr = projections[p];
    const int r0 = (i - map.first_task(p)) * slice, rows = std::min(slice, pr.out - r0);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, t, rows, in, 1.0f, x, in,
                pr.w.f32() + static_cast<std::size_t>(r0) * in, in, pr.beta, pr.y + r0, pr.out);
  });
}

void linear(const float* x, int t, const float* w, int out, int in, float* y, float beta,
            ThreadPool& pool) {
  if (out <= 0) return;
  const Projection one{WeightRef{DType::kF32, w}, out, y, beta};
  linear_fused(x, t, in, std::span<const Projection>(&one, 1), pool);
}

}  // namespace odma::model::cpu
