// The seam between the forward pass and the kernels that run it.
//
// transformer.cpp is written once against Kernels; a kernel set implements it for one kind of
// hardware: cpu/ today (F32 and BF16 weights and K/V, AVX-512 / AVX512-BF16 / AMX picked at run
// time), a device backend later. The engine never calls a kernel directly: it goes through
// Transformer (forward, copy_kv), so swapping the kernel set touches neither the engine nor the
// scheduler.
//
// Every call covers a whole step (all token rows of the batch at once), so an implementation is
// free to fuse, split over threads or offload.
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
