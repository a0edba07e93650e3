#include "model/cpu/linear_bf16.h"

#include <algorithm>

#include "model/cpu/gemm_bf16.h"
#include "model/cpu/gemv_bf16.h"
#include "model/cpu/projection_tasks.h"

namespace odma::model::cpu {
namespace {

void decode(const float* x, int t, int in, std::span<const Projection> projections,
            ThreadPool& pool) {
  // Per calling thread (engines on several threads share a pool), and named through a reference:
  // inside the task lambda the bare thread_local name would mean each worker's own, empty copy.
  thread_local GemvInput per_thread;
  GemvInput& input = per_thread;
  input.prepare(x, t, in, default_gemv_kernel());
  // ~64 KiB of BF16 weights per task, as the F32 GEMV: large enough to amortise the claim.
  const int rows = std::max(1, 32768 / in);
  const ProjectionTasks map(projections, rows);
  pool.parallel_for(map.tasks(), [&](int i) {
    const std::size_t p = map.projection_of(i);
    const Projection& pr = projections[p];
    const int r0 = (i - map.first_task(p)) * rows;
    gemv_bf16(input, pr.w.bf16(), pr.out, pr.y, pr.beta, r0, std::min(pr.out, r0 + rows));
  });
}

void prefill(const float* x, int t, int in, std::span<const Projection> projections,
             ThreadPool& pool) {
  thread_local GemmInput per_thread;  // as in decode(): one per caller, shared by its tasks
  GemmInput& input = per_thread;
  const GemmKernel kernel = t <= kTiledMaxTokens ? GemmKernel::kGemvTiles : default_gemm_kernel();
  input.reset(x, t, in, kernel);
  const int blocks = (t + GemmInput::kRowBlock - 1) / GemmInput::kRowBlock;
  pool.parallel_for(blocks, [&](int b) {
    input.convert_rows(b * GemmInput::kRowBlock, std::min(t, (b + 1) * GemmInput::kRowBlock));
  });
  // One panel per task for the packing kernels (each packs ~64 × in values, then computes all t
  // rows); 64 columns per task for the GEMV tiles.
  const int pc = gemm_panel_cols(kernel);
  const int units = pc == 1 ? 64 : 1;
  const ProjectionTasks map(projections, units, pc);
  pool.parallel_for(map.tasks(), [&](int i) {
    const std::size_t p = map.projection_of(i);
    const Projection& pr = projections[p];
    const int c0 = (i - map.first_task(p)) * units * pc;
    gemm_bf16_rowmajor(input, pr.w.bf16(), pr.out, in, pr.y, pr.beta, c0,
                       std::min(pr.out, c0 + units * pc));
  });
}

}  // namespace

void linear_bf16_fused(const float* x, int t, int in, std::span<const Projection> projections,
                       ThreadPool& pool) {
  if (t <= 0 || projections.empty()) return;
  if (fused_in_slices(projections, [&](auto slice) { linear_bf16_fused(x, t, in, slice, pool); }))
    return;
  if (t <= kGemvMaxTokens) {
    decode(x, t, in, projections, pool);
  } else {
    prefill(x, t, in, projections, pool);
  }
}

}  // namespace odma::model::cpu
