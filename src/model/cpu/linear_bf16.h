// y[T][out] = x[T][in] · W[out][in]ᵀ + beta · y over BF16 weights (x and y F32), on the run-time
// dispatched kernels of gemv_bf16.h / gemm_bf16.h:
//   T ≤ kGemvMaxTokens (decode)  x prepared once (GemvInput), output rows split over the pool in
//                                ~64 KiB weight slices; each weight row streamed once.
//   T ≤ kTiledMaxTokens          (large decode batches, short prompts) the GEMV kernel over
//                                8-token tiles (kGemvTiles), 64 weight rows per task: each row
//                                is read from DRAM once and from cache by the other tiles.
//                                Packing panels on the fly has a cost per call that only long
//                                prompts amortise: on qwen2-0.5b-shape (AVX512-BF16, 2 threads)
//                                a 16-token decode step took 146 ms through the packed GEMM and
//                                43 ms through the tiles; the two cross between 128 and 192
//                                prompt tokens.
//   T > kTiledMaxTokens (prefill) x converted to BF16 once (rows in parallel), then column panels
//                                over the pool, each packed on the fly from the checkpoint layout
//                                (gemm_bf16_rowmajor): the AVX512-BF16 or AMX GEMM without a
//                                second copy of the weights.
// Kernel choice: default_gemv_kernel() / default_gemm_kernel() of the active ISA (ODMA_ISA caps
// it). Which kernel runs depends only on T, so a token's result never depends on the rows batched
// with it within a kernel.
#pragma once

#include <span>

#include "model/cpu/thread_pool.h"
#include "model/kernels.h"

namespace odma::model::cpu {

constexpr int kTiledMaxTokens = 128;

// Every projection's weights must be BF16.
void linear_bf16_fused(const float* x, int t, int in, std::span<const Projection> projections,
                       ThreadPool& pool);

}  // namespace odma::model::cpu
