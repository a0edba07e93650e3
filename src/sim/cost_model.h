// The device cost model: how long one continuous-batching step takes on a device, given the work
// the planner scheduled and where each request's KV lives. Roofline per phase (docs/simulator.md):
//
//   step_s   = overhead + linear_s + attention_s + copy_s
//   linear_s = max(weight_read_bytes ÷ BW,  (2·body_params·tokens + 2·head_params·emitted) ÷ FLOPS)
//   attention_s = max((Σ_runs run_bytes ÷ α(run_plane_bytes) + written_kv_bytes) ÷ BW,
//                     4·layers·heads·head_dim·Σ_items attended_keys ÷ FLOPS)
//   copy_s   = 2 · copied_tokens · kv_bytes_per_token ÷ BW        (read + write, sequential)
//
// A run is one contiguous piece of a request's context as the layout stores it: each extent of the
// policy's allocation, cut at the number of tokens read (a paged request's runs are its blocks; a
// contiguous request's single run is its whole context). run_plane_bytes = run_tokens × head_dim ×
// dtype_bytes is the chunk the memory system sees in each (layer, K/V, head) plane.
// A decode at position p attends to p + 1 keys and reads them; a prefill chunk [s, s+n) attends to
// n·s + n(n+1)/2 keys in total and reads the s + n keys once.
#pragma once

#include <cstdint>
#include <vector>

#include "kv/planner.h"
#include "kv/policy.h"
#include "sim/device_profile.h"
#include "sim/model_shape.h"

namespace odma::sim {

// What one step computes and moves, accumulated item by item.
struct StepWork {
  std::int64_t tokens = 0;         // tokens through the linear layers (decodes + prefill chunks)
  std::int64_t emitted = 0;        // items sampling a token (rows through lm_head)
  double attended_keys = 0;        // Σ over tokens of keys attended
  double kv_read_seq_bytes = 0;    // Σ_runs run_bytes ÷ α: bytes at sequential-equivalent cost
  double kv_read_bytes = 0;        // Σ_runs run_bytes (what was actually read)
  double kv_write_bytes = 0;       // new K/V written this step
  std::int64_t copied_tokens = 0;  // Σ CopyOp::length (migration / compaction)
};

// Seconds per phase of one step; total() is the step length.
struct StepTime {
  double overhead_s = 0;
  double linear_s = 0;
  double attention_s = 0;
  double copy_s = 0;
  bool linear_memory_bound = true;
  bool attention_memory_bound = true;
  double total() const { return overhead_s + linear_s + attention_s + copy_s; }
};

class CostModel {
 public:
  CostModel(const DeviceProfile& device, const ModelShape& shape);

  // Adds one planned item; `alloc` is the request's allocation after planning (nullptr: treated as
  // one contiguous run).
  void add_item(StepWork& work, const kv::WorkItem& item, const kv::Allocation* alloc) const;
  void add_copies(StepWork& work, const std::vector<kv::CopyOp>& copies) const;

  StepTime step_time(const StepWork& work) const;

  // Sequential-equivalent bytes to read the first `keys` tokens of a context stored as `extents`.
  double kv_read_seq_bytes(const std::vector<kv::Extent>* extents, std::int64_t keys) const;
  // 1 ÷ α for a run of `tokens` tokens (cached per token count).
  double inverse_alpha(std::int64_t tokens) const;

  const DeviceProfile& device() const { return device_; }
  const ModelShape& shape() const { return shape_; }

 private:
  DeviceProfile device_;
  ModelShape shape_;
  double kv_bytes_per_token_;
  double linear_flops_per_token_;
  double head_flops_per_emit_;
  double attention_flops_per_key_;
  mutable std::vector<double> inv_alpha_;  // by run length in tokens; grown on demand
};

// KV capacity in token slots: ⌊(memory × (1 − reserved) − weight_bytes) ÷ kv_bytes_per_token⌋.
// Throws odma::Error when the weights alone do not fit.
std::int64_t kv_capacity_tokens(const DeviceProfile& device, const ModelShape& shape);

}  // namespace odma::sim
