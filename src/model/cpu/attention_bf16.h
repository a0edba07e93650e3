// Decode attention over BF16 K/V planes (one plane of capacity × head_dim uint16 per
// (layer, K|V, kv-head), slot s at plane + s × head_dim; see kv_bf16.h).
//
// Math, for the `group` query heads g that share one KV head, one query token that sees the
// ctx = Σ runs[i].n positions given in order by `runs`:
//   s_g[p] = (q_g · K[p]) / √head_dim,   w_g = softmax(s_g),   out_g = Σ_p w_g[p] · V[p]
// Two passes, as the F32 engine kernel: all scores, softmax per head, then V. V is accumulated in
// F32 registers, each V row read once for the whole GQA group.
//
// Kernels (AttnKernel):
//   kScalar      fixed-order F32 loops; the fallback and the reference with a stated bound.
//   kAvx2        BF16→F32 widening by shift/mask + FMA, head_dim % 16 == 0.
//   kAvx512      the same with AVX-512F, head_dim % 32 == 0. q stays F32.
//   kAvx512Bf16  scores by vdpbf16ps with q rounded to BF16 once per call (rel. error ≤ 2^-8 per
//                product); V exactly as kAvx512. head_dim % 32 == 0.
// default_attn_kernel(isa): scalar/avx2/avx512 for those levels; kAvx512Bf16 for kAvx512Bf16 and
// kAmx (1.2x kAvx512 with the KV in cache, 1.0–1.2x from DRAM: docs/bf16_kernels.md; its q
// rounding adds score noise of the same size as storing K in BF16 does). A shape the
// chosen SIMD kernel does not take (head_dim not a multiple of its width, or > 256) runs kScalar;
// group > 8 runs in slices of 8 heads (K and V are then read once per slice).
//
// Determinism: every score is one fixed sequence of operations on (q, K row); the softmax depends
// only on the score values and ctx; every output element gets one FMA per position, in position
// order. So the result does not depend on how positions are split into runs: contiguous (one run)
// and paged (many runs, any sizes) give bitwise equal results on every kernel.
#pragma once

#include <cstddef>
#include <cstdint>

#include "model/cpu/cpu_features.h"
#include "model/cpu/kv_run.h"

namespace odma::model::cpu {

enum class AttnKernel { kScalar, kAvx2, kAvx512, kAvx512Bf16 };

AttnKernel default_attn_kernel(Isa isa = active_isa());
Isa required_isa(AttnKernel kernel);
const char* attn_kernel_name(AttnKernel kernel);

// One query token: q and out are [group][head_dim] (out may not alias q). Preconditions:
// head_dim ≥ 1, group ≥ 1, n_runs ≥ 1, every run n ≥ 1 (ctx ≥ 1). Throws odma::Error for an ISA
// this CPU lacks. Thread-safe (per-thread scratch).
void attend_bf16(const std::uint16_t* k_plane, const std::uint16_t* v_plane, int head_dim,
                 int group, const KvRun* runs, int n_runs, const float* q, float* out,
                 AttnKernel kernel = default_attn_kernel());

// Prefill form (causal): query i (i < n_tokens) is at position start_pos + i and sees the first
// start_pos + i + 1 positions of `runs`. q_i = q + i × q_stride, out_i likewise. Runs the decode
// kernel once per query token (K/V are re-read per token: correct and bitwise equal to decode, not
// a blocked prefill kernel).
void attend_bf16_prefill(const std::uint16_t* k_plane, const std::uint16_t* v_plane, int head_dim,
                         int group, const KvRun* runs, int n_runs, int start_pos, int n_tokens,
                         const float* q, std::size_t q_stride, float* out, std::size_t out_stride,
                         AttnKernel kernel = default_attn_kernel());

}  // namespace odma::model::cpu
