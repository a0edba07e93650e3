// y[T][out] = x[T][in] · W[out][in]ᵀ + beta · y over F32 weights.
//
// Decode steps multiply a handful of token rows by a large weight matrix: the work is reading W
// once. OpenBLAS's sgemm does that poorly at M ≤ 8 (measured on the `small` preset: batch-1 decode
// at 3× the weight-read bound), so up to kGemvMaxTokens rows go through our own kernel, which
// streams each weight row once and keeps one accumulator per token row in registers, split over
// the thread pool by output rows. Larger T (prefill chunks) goes to OpenBLAS sgemm.
//
// Each output element is reduced in a fixed order by the kernel that computes it; which kernel
// runs depends only on T, so results are deterministic for a given batch composition.
#pragma once

#include <vector>

#include "model/cpu/gemv_bf16.h"  // kGemvMaxTokens: the same bound for F32 and BF16 weights
#include "model/cpu/thread_pool.h"
#include "model/kernels.h"

namespace odma::model::cpu {

void linear(const float* x, int t, const float* w, int out, int in, float* y, float beta,
            ThreadPool& pool);

// Several projections of the same x (q/k/v; gate/up) in one fork-join on the GEMV path: a decode
// step has dozens of joins, and each costs the tail of its slowest task. Every projection's
// weights must be F32 (linear_bf16.h takes BF16 ones).
void linear_fused(const float* x, int t, int in, std::span<const Projection> projections,
                  ThreadPool& pool);

}  // namespace odma::model::cpu
