// The seam between the forward pass and the kernels that run it.
//
// transformer.cpp is written once against Kernels; a kernel set implements it for one kind of
// hardware: cpu/ today (F32 and BF16 weights and K/V, AVX-512 / AVX512-BF16 / AMX picked at run
// time), a device backend later. The engine never calls a kernel directly: it goes through
// Transformer (forward, copy_kv), so swapping the kernel set touches neither the engine nor the
// scheduler.
//
// Every call covers a whole step (all token rows of the batch at once), so an implementation is
// free to fuse, split over threads or offload. Every operation of the forward pass is here —
// embedding lookup, RMSNorm, RoPE, bias add, SwiGLU, projections, attention, K/V writes — so
// transformer.cpp only sequences calls on its workspace's arrays. Activations are F32 rows, packed
// ([t][n], row i at i × n).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "kv/types.h"
#include "model/kv_storage.h"
#include "model/weight_matrix.h"

namespace odma::model {

// y[t][out] = x[t][in] · w[out][in]ᵀ + beta · y   (HF layout: row-major [out_features][in]),
// w F32, BF16 or I8 (per-row scales: weight_matrix.h); x and y F32.
struct Projection {
  WeightRef w;
  int out;
  float* y;  // [t][out]
  float beta;
};

// One sequence's queries in a step.
struct AttentionItem {
  const float* q = nullptr;  // [n_tokens][num_heads × head_dim], RoPE applied
  float* out = nullptr;      // same shape
  int n_tokens = 0;
  int start_pos = 0;          // query i is at position start_pos + i and sees [0, start_pos + i]
  const SeqKv* kv = nullptr;  // its K/V, already written for every position it sees
};

class Kernels {
 public:
  virtual ~Kernels() = default;

  virtual std::string name() const = 0;  // e.g. "cpu (AVX-512 F32, 2 threads)"

  // --- Pointwise and per-row operations -------------------------------------------------------

  // out[i][c] = table[ids[i]][c] widened to F32 for i < t, c < cols (the embedding lookup; the
  // table is [rows][cols] in any WeightRef dtype): exact for F32 and BF16, I8 scale[r] · q[r][c]
  // rounded once. Precondition: every id is a row of the table.
  virtual void embed(const WeightRef& table, int cols, const std::int32_t* ids, int t,
                     float* out) const = 0;

  // RMSNorm of t rows of `dim` values, gathering as it goes:
  //   y[i][j] = x[s][j] · r · w[j],  r = 1 / √(Σ_j x[s][j]² / dim + eps),  s = rows[i] (i if null)
  // Σ x² in F64, r rounded to F32 once, then (x · r) · w in F32. `rows` lets the final norm pick
  // the rows the head needs. y must not overlap x.
  virtual void rms_norm(const float* x, int t, int dim, const float* w, float eps, float* y,
                        const std::int32_t* rows) const = 0;

  // RoPE angles of a step, once for every layer: for row i < t and j < inv_freq.size(),
  //   cos[i][j] = cos(positions[i] · inv_freq[j]), sin[i][j] likewise (computed in F64).
  // inv_freq[j] = theta^(−2j / head_dim), computed once per model.
  virtual void rope_angles(const std::int32_t* positions, int t, std::span<const double> inv_freq,
                           float* cos, float* sin) const = 0;

  // Rotate-half RoPE in place on t rows of `heads` heads of head_dim values, with row i's angles
  // (cos/sin [t][head_dim / 2] from rope_angles): in each head, for j < half = head_dim / 2,
  //   (a, b) = (x[j], x[j + half]) → (fma(a, cos[j], −(b·sin[j])), fma(b, cos[j], a·sin[j]))
  // (the sine products rounded, the cosine products fused into the sum: what the former loop
  // compiled to with FMA, kept so that the same logits come out).
  virtual void rope(float* x, int t, int heads, int head_dim, const float* cos,
                    const float* sin) const = 0;

  // y[i][j] += b[j] for i < t, j < n (the q/k/v projections' biases).
  virtual void add_bias(float* y, int t, int n, const float* b) const = 0;

  // SwiGLU's gate in place: gate[i][j] = silu(g) · up[i][j] with silu(g) = g / (1 + e^−g), for
  // i < t, j < n. Relative error ≤ 2^−22 against exact arithmetic for g ≥ −87 (e^x comes from a
  // polynomial; below −87 it is clamped, an absolute error under 1e−35 · |g · up|).
  virtual void swiglu(float* gate, const float* up, int t, int n) const = 0;

  // --- Projections, attention, K/V --------------------------------------------------------------

  // Every projection of one x [t][in] (q/k/v; gate/up; or a single one) in one go.
  virtual void project(const float* x, int t, int in,
                       std::span<const Projection> projections) const = 0;

  // Causal attention of every item's queries over its K/V in `layer` (cpu/attention.h: math).
  virtual void attention(const KvStorage& storage, int layer, int num_heads,
                         std::span<const AttentionItem> items) const = 0;

  // Writes the K and V rows of t tokens ([t][kv_heads × head_dim] each, F32) to `slots[i]` of every
  // (layer, K|V, kv-head) plane of `layer`, in the storage's dtype. Precondition: every slot <
  // storage.capacity().
  virtual void store_kv(KvStorage& storage, int layer, const float* k, const float* v,
                        std::span<const std::int64_t> slots) const = 0;

  // Executes policy copies (memmove semantics, in list order) in every plane. Throws odma::Error,
  // before moving anything, if an op leaves [0, capacity).
  virtual void copy_kv(KvStorage& storage, std::span<const kv::CopyOp> ops) const = 0;
};

// The kernel set for this machine on the process-wide thread pool (cpu/ today).
std::shared_ptr<const Kernels> default_kernels();

}  // namespace odma::model
