#include "model/cpu/linear_int8.h"

#include <algorithm>

#include "model/cpu/gemv_int8.h"
#include "model/cpu/projection_tasks.h"

namespace odma::model::cpu {
namespace {

constexpr int kTile = 8;           // tokens per kernel call (the kernel's register block)
constexpr int kTileRows = 64;      // weight rows per task when T > kTile
constexpr int kQuantizeRows = 16;  // token rows quantized per task when T > kTile

}  // namespace

void linear_int8_fused(const float* x, int t, int in, std::span<const Projection> projections,
                       ThreadPool& pool) {
  if (t <= 0 || projections.empty()) return;
  if (fused_in_slices(projections, [&](auto slice) { linear_int8_fused(x, t, in, slice, pool); }))
    return;
  // Per calling thread (engines on several threads share a pool), and named through a reference:
  // inside the task lambdas the bare thread_local name would mean each worker's own, empty copy.
  thread_local Int8Activations per_thread;
  Int8Activations& acts = per_thread;
  acts.reset(t, in, default_int8_kernel());
  if (t <= kTile) {
    acts.quantize(x, 0, t);
  } else {
    pool.parallel_for((t + kQuantizeRows - 1) / kQuantizeRows, [&](int b) {
      acts.quantize(x, b * kQuantizeRows, std::min(t, (b + 1) * kQuantizeRows));
    });
  }
  // Decode: ~64 KiB of weights per task, enough to amortise claiming it.
  const int rows = t <= kTile ? std::max(1, 65536 / in) : kTileRows;
  const ProjectionTasks map(projections, rows);
  pool.parallel_for(map.tasks(), [&](int i) {
    const std::size_t p = map.projection_of(i);
    const Projection& pr = projections[p];
    const int r0 = (i - map.first_task(p)) * rows;
    const int r1 = std::min(pr.out, r0 + rows);
    for (int t0 = 0; t0 < t; t0 += kTile) {
      gemv_int8(acts, t0, std::min(kTile, t - t0), pr.w.i8(), pr.w.scales, pr.w.row_sums, pr.out,
                pr.y, pr.beta, r0, r1);
    }
  });
}

}  // namespace odma::model::cpu
