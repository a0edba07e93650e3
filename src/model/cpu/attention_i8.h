// Decode attention over INT8 K/V planes (kv_storage.h, kv_i8.h: row = q × scale per slot).
//
// Math, for the `group` query heads g that share one KV head and one query token that sees the
// ctx = Σ runs[i].n positions given in order by `runs`:
//   q_g ≈ q8_g · sq_g               (each head quantized by kv_i8.h's row rule, once per call)
//   s_g[p] = (float)(q8_g · K8[p]) · (sq_g / √head_dim · sk[p])     the dot an exact integer
//   w_g = softmax(s_g)              (the canonical order of softmax_avx512.inc)
//   w'_g[p] = w_g[p] · sv[p]        (V's row scale folded into the weight)
//   V in chunks of 64 positions c = [64k, 64k + 64): m = max_{p∈c} w'_g[p],
//     wq[p] = round_half_even(w'_g[p] · (32767 / m)) ∈ [0, 32767],  σ_c = m / 32767
//     acc[d] = Σ_{p∈c} wq[p] · V8[p][d]                          an exact int32
//     out_g[d] = fma((float)acc[d], σ_c, out_g[d])               from 0, chunk by chunk in order
// Quantizing q makes the scores integer dot products (VNNI's 64 products per instruction), at the
// accuracy cost W8A8 projections pay too; 16-bit weights per chunk make V's sum integer too
// (vpdpwssd: two positions per instruction, half the FMAs of a float sum), with each weight within
// 2^-16 of its chunk's largest (docs/model.md: KL measured).
//
// Kernels (Int8Kernel, gemv_int8.h's levels and default_int8_kernel()):
//   kScalar      the reference: the arithmetic above spelled out in that order.
//   kAvx2        scores 8 positions a vector (K transposed), vpmaddubsw(|q|, K · sign q) then
//                vpmaddwd; softmax in two 8-lane halves of the 16 lanes;
//                V by vpmaddwd on pairs of positions interleaved per dimension, 4 heads a pass.
//   kAvx512Vnni  scores by vpdpbusd on (K8 xor 0x80) = K8 + 128, less 128 · Σq8; V by vpdpwssd
//                as kAvx2's, 32 dimensions a pass.
// Every kernel gives the same bits as kScalar (integer dots and sums, one canonical order for each
// float sum, explicit FMAs), and splitting the positions into runs changes nothing: contiguous
// and paged layouts give bitwise equal results. A shape a SIMD kernel does not take (head_dim not
// a multiple of 16 (AVX2) or 32 (AVX-512), or > 256) runs the next kernel down; group > 8 runs in
// slices of 8 heads.
#pragma once

#include <cstddef>
#include <cstdint>

#include "model/cpu/gemv_int8.h"  // Int8Kernel
#include "model/cpu/kv_run.h"

namespace odma::model::cpu {

// One query token: q and out are [group][head_dim] (out may not alias q); k_scales/v_scales are
// the planes' scale planes (indexed by slot). Preconditions: head_dim ≥ 1, group ≥ 1,
// n_runs ≥ 1, every run n ≥ 1. Throws odma::Error for a kernel this CPU lacks. Thread-safe
// (per-thread scratch).
void attend_i8(const std::int8_t* k_plane, const float* k_scales, const std::int8_t* v_plane,
               const float* v_scales, int head_dim, int group, const KvRun* runs, int n_runs,
               const float* q, float* out, Int8Kernel kernel = default_int8_kernel());

}  // namespace odma::model::cpu
