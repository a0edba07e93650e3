// y[T][out] = x[T][in] · W[out][in]ᵀ + beta · y over INT8 weights (x and y F32), on the run-time
// dispatched W8A8 kernels of gemv_int8.h (arithmetic there):
//   every T    each token row of x quantized once per call (rows in parallel when T > 8);
//   T ≤ 8      (decode) output rows split over the pool in ~64 KiB weight slices, each weight row
//              streamed once for all T tokens;
//   T > 8      (prefill, large decode batches) the same kernel over 8-token tiles, 64 weight rows
//              per task: each row read from DRAM once and from cache by the other tiles.
// The integer dot products are exact, so a token's result never depends on T, on the tiles or on
// the rows batched with it.
#pragma once

#include <span>

#include "model/cpu/thread_pool.h"
#include "model/kernels.h"

namespace odma::model::cpu {

// Every projection's weights must be kI8.
void linear_int8_fused(const float* x, int t, int in, std::span<const Projection> projections,
                       ThreadPool& pool);

}  // namespace odma::model::cpu
