// odma KV memory core — glossary (read this first).
//
//   arena       One contiguous device allocation of `capacity` token slots. Physically it is
//   planar:
//               for every (layer, K/V, kv-head) there is one plane of `capacity` slots, so an
//               extent [offset, offset+length) is one sequential run inside *each* plane. Growing
//               an extent in place therefore moves no data, and attention streams each run
//               sequentially.
//   slot        Room for one token's K/V in every plane. All kv sizes are in slots (tokens).
//   granule     Allocation unit of the arena (default 16 slots); every extent is a multiple of it.
//   extent      [offset, offset + length) slots owned by one request. Contiguous policies hold one
//               (odma's chained mode up to `max_extents`); the paged policy holds one per block.
//   bucket      A size class for output lengths. A request is reserved the upper edge of its
//   bucket. safety pool Slots held back from admission so that overflowing requests can always
//   grow/migrate. policy      Decides how much to reserve at admission and what to do on overflow.
//
// Nothing here knows about tensors, threads or time: the engine, the simulator and `odma replay`
// drive the same code.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "base/debug.h"

namespace odma::kv {

using RequestId = std::uint64_t;

// [offset, offset + length) in token slots.
struct Extent {
  std::int64_t offset = 0;  // first slot
  std::int64_t length = 0;  // slots, a multiple of the granule
  std::int64_t end() const { return offset + length; }
  friend bool operator==(const Extent&, const Extent&) = default;
};

// One sequential copy the engine executes in every plane, with memmove semantics, in list order,
// before it next touches the destination. `length` counts stored tokens only (not the reservation).
struct CopyOp {
  std::int64_t src_offset = 0;
  std::int64_t dst_offset = 0;
  std::int64_t length = 0;
  friend bool operator==(const CopyOp&, const CopyOp&) = default;
};

// A predicted output-length distribution as the KV layer reads it: bin b holds the integer
// lengths edges[b] + 1 .. edges[b + 1] with probability prob[b], uniform within the bin (the
// predictor's own representation, predict/length_model.h).
struct LengthDistribution {
  std::shared_ptr<const std::vector<std::int32_t>> edges;  // e_0 = 0 < ... < e_B, shared
  std::vector<float> prob;                                 // B entries

  // Smallest length L > `after` with P(length ≤ L | length > after) ≥ q, q ∈ (0, 1]; nullopt when
  // (almost) no mass lies past `after`. after = 0 is the plain quantile (lengths are ≥ 1).
  std::optional<std::int32_t> quantile_after(std::int32_t after, double q) const;
};

// What the predictor says about a request's output length.
struct LengthPrediction {
  std::int32_t output_tokens = 0;  // length to reserve for, at the predictor's coverage
  double uncertainty = 0.0;        // 0 = confident .. 1 = no idea (→ a large bucket)
  std::int32_t true_output_tokens =
      -1;  // the truth, known only in replay/simulation (oracle policy)
  // The distribution behind output_tokens and the quantile it was read at (model predictors;
  // null for oracle, noisy and none). odma sizes a growth past the reservation from it.
  std::shared_ptr<const LengthDistribution> distribution = nullptr;
  double coverage = 0.0;
};

// A request as the policy sees it at admission.
struct RequestSpec {
  RequestId id = 0;
  std::int32_t prompt_tokens = 0;
  std::int32_t max_output_tokens =
      0;  // generation cap; prompt + cap <= PolicyConfig::max_model_len
  LengthPrediction prediction;
  // Output tokens this request already produced before it was preempted (0 for a new request):
  // the true length is known to exceed it, so policies size re-admission past it.
  std::int32_t generated_before_preemption = 0;
  // The request's token ids (prompt, then its output as it grows), owned by the caller and valid
  // while the request is live; nullptr: its prefix is neither looked up nor cached. Policies
  // with prefix caching read the first prompt_tokens at admission and the stored ones at finish.
  const std::vector<std::int32_t>* tokens = nullptr;
  std::int32_t total_tokens_cap() const { return prompt_tokens + max_output_tokens; }
};

// Outcome of a policy call. Errors leave the policy's state exactly as before the call.
enum class Status : std::uint8_t {
  kOk,                 // admitted / already fits / released
  kDeferred,           // admission: not enough space now; state unchanged, retry later
  kGrewInPlace,        // growth: the extent was extended over the free range after it
  kMigrated,           // growth: moved to a larger extent; execute `copies`
  kChained,            // growth: a further extent (or paged block) was appended; no copy
  kPreempted,          // growth: the policy released the request itself (S3's re-bucketing);
                       //   re-queue it and recompute its prefix
  kNoRoom,             // growth: no room now; state unchanged. The caller frees room by preempting
                       //   a request of its choice (Policy::preempt) and retries (planner.h)
  kUnknownRequest,     // error: no live request with this id
  kDuplicateRequest,   // error: id already live
  kExceedsModelLimit,  // error: prompt/cap/length beyond max_model_len or the request's cap
  kNeverFits,          // error: the request cannot fit even in an empty arena
  kInvalidArgument,    // error: negative sizes, zero-length prompt, ...
};

std::string_view to_string(Status s);
inline bool is_error(Status s) {
  return s >= Status::kUnknownRequest;
}

// Evaluates `expr` always and, at ODMA_DEBUG >= 1, asserts that the Status it returns is no error:
// for calls whose success is an invariant of the caller (never bad input).
#define ODMA_CHECK_STATUS(expr)                                              \
  do {                                                                       \
    [[maybe_unused]] const ::odma::kv::Status odma_checked_status_ = (expr); \
    ODMA_ASSERT(!::odma::kv::is_error(odma_checked_status_));                \
  } while (false)

}  // namespace odma::kv
