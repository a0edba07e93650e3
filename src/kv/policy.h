// The one interface every KV policy implements (static, paged, s3, odma, oracle).
//
// Transactional contract: a call that returns an error, kDeferred or kNoRoom leaves every
// observable part of the policy (allocations, arena, counters except `deferrals` and `no_room`)
// unchanged — except that kDeferred and kNoRoom may have evicted unread prefix-cache ranges while
// trying to make room (counted in `cache_evictions`). Misuse returns an error Status; it is never
// undefined behaviour.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kv/types.h"

namespace odma::kv {

// How odma sizes a request that outgrows its reservation.
enum class GrowthRule : std::uint8_t {
  // The prediction's quantile (its coverage) of the length distribution conditioned on the
  // tokens already generated, rounded to the buckets, for a move or a further extent (growing in
  // place still takes one size class: it copies nothing): a long answer past its reservation is
  // moved once to where it is likely to end, not once per size class. Falls back to the next
  // bucket when the prediction carries no distribution (oracle, noisy, none).
  kConditioned,
  kNextBucket,  // the next size class above the tokens now needed (the original rule)
};
std::string_view to_string(GrowthRule r);          // "conditioned" | "next-bucket"
GrowthRule parse_growth_rule(std::string_view s);  // odma::Error naming the choices

struct OdmaOptions {
  std::int32_t buckets = 16;             // K adaptive size classes over output length
  std::int32_t recalibrate_every = 256;  // completions between recalibrations
  double histogram_half_life = 4096;     // completions; older lengths decay away
  double safety_fraction_min = 0.02;     // safety pool bounds, as fractions of capacity; the
  double safety_fraction_max = 0.20;     //   pool is sized from observed overflow demand
  double uncertainty_threshold = 0.8;    // predictions less certain than this use the top bucket
  std::int32_t max_extents = 1;          // 1 = the paper's strict contiguity; >1 = chained extents
  std::int32_t min_extent_tokens = 256;  // chained mode: no extent smaller than this
  std::int32_t compaction_max_moves = 32;  // extents one compaction may slide (0 = never compact)
  // The next bucket by default: the conditioned rule (moves rounded to the granule) cuts
  // migrations on Alpaca (0.46 per request online) for ~1–1.5 points of reservation efficiency,
  // but its end-to-end TPS has not been re-measured since it stopped rounding to the buckets
  // (docs/predictor.md, "Growth past the reservation" and "Online rates and the drift signal").
  GrowthRule growth = GrowthRule::kNextBucket;
};

struct PolicyConfig {
  std::int64_t capacity_tokens = 0;  // arena size in slots (> 0)
  std::int32_t granule = 16;  // allocation unit in slots (> 0, divides nothing in particular)
  std::int32_t max_model_len = 4096;  // prompt + output limit of the model
  std::int32_t block_tokens = 16;     // paged policy's block size (a multiple of granule)
  double paged_watermark = 0.01;      // paged: fraction of blocks admission leaves free (vLLM)
  std::int32_t s3_buckets = 10;       // S3: equal-width buckets over [0, s3_max_output]
  std::int32_t s3_max_output = 0;     // S3's range; 0 = the generation cap (max_model_len here,
                                      //   the session's max_output_tokens in kv/session.h)
  // Automatic prefix caching (vLLM's --enable-prefix-caching, on by default as there): finished
  // requests leave their K/V cached and later requests with the same leading tokens read it
  // (kv/prefix_cache.h). Static never caches: it stands for the paper's baseline.
  bool prefix_caching = true;
  OdmaOptions odma;
};

// Counters; each formula or meaning next to the field (TensorRT-LLM KvCacheStats style).
struct KvCounters {
  std::int64_t admitted =
      0;  // successful admissions (a re-admission after preemption counts again)
  std::int64_t deferrals = 0;      // admissions answered kDeferred
  std::int64_t overflows = 0;      // growth calls past the reservation that were served (in place,
                                   //   migrated, chained) or released the request itself (S3)
  std::int64_t grow_in_place = 0;  // overflows served by extending the extent in place
  std::int64_t migrations = 0;     // overflows served by moving to a larger extent (copy)
  std::int64_t chains = 0;         // overflows served by appending an extent / paged block
  std::int64_t preemptions = 0;    // requests released for recompute: victims the planner
                                   //   chose (preempt()) and S3's own overflows
  std::int64_t no_room = 0;        // growth calls answered kNoRoom (state unchanged)
  std::int64_t compaction_moves = 0;  // extents moved by compaction to coalesce free space
  std::int64_t copied_tokens = 0;     // Σ CopyOp::length over migrations and compaction
  std::int64_t recalibrations = 0;    // adaptive bucket recalibrations (odma only)
  std::int64_t failed_requests = 0;   // requests the policy could not serve at all (must stay 0)
  std::int64_t prefix_queries = 0;    // prompt tokens looked up in the prefix cache (vLLM v1's
                                      //   prefix_cache_queries), at first admission
  std::int64_t prefix_hits = 0;       // of them, tokens found cached (prefix_cache_hits)
  std::int64_t cache_evictions = 0;   // cached ranges evicted to make room
};

// Point-in-time occupancy.
struct KvGauges {
  std::int64_t capacity = 0;      // arena slots
  std::int64_t reserved = 0;      // Σ slots held by live requests
  std::int64_t used = 0;          // Σ tokens stored by live requests (as last told by grow/admit)
  std::int64_t free = 0;          // capacity − reserved − cached
  std::int64_t largest_free = 0;  // largest free contiguous range
  std::int64_t safety_pool = 0;   // slots admission may not take
  std::int64_t live_requests = 0;
  std::int64_t cached = 0;              // slots the prefix cache holds (shared or idle)
  std::int64_t cached_reclaimable = 0;  // of them, slots no live request reads (evictable)
  // Fragmentation = 1 − largest_free ÷ free (0 when free == 0).
  double fragmentation() const {
    return free == 0 ? 0.0 : 1.0 - static_cast<double>(largest_free) / static_cast<double>(free);
  }
};

// What a live request holds. Positions [0, shared_tokens) are read from cached runs (read-only,
// any length, owned by the prefix cache); the request's own extents hold the rest: position
// shared_tokens + t lives at the t-th slot of `extents` taken in order. `reserved` and `used`
// count the own part only, so every policy works in own coordinates.
struct Allocation {
  std::vector<Extent> extents;      // own extents, in logical order
  std::int64_t reserved = 0;        // Σ extent lengths
  std::int64_t used = 0;            // own tokens stored (prompt + generated − shared_tokens)
  std::vector<Extent> shared = {};  // cached runs for positions [0, shared_tokens), logical order
  std::int64_t shared_tokens = 0;   // Σ shared lengths
};

struct AdmitResult {
  Status status = Status::kOk;  // kOk, kDeferred or an error
  std::vector<CopyOp> copies;   // compaction moves of *other* requests to execute first
};

struct GrowResult {
  Status status = Status::kOk;  // kOk (fits), kGrewInPlace, kMigrated, kChained, kPreempted,
                                // kNoRoom, error
  std::vector<CopyOp> copies;   // for kMigrated (and any compaction it needed), in order
};

class Policy {
 public:
  virtual ~Policy() = default;

  virtual std::string name() const = 0;

  // Reserves room for the request's prompt and its predicted output. `used` starts at the prompt.
  [[nodiscard]] virtual AdmitResult admit(const RequestSpec& spec) = 0;

  // Makes the request hold at least `total_tokens` (prompt + generated) slots, and records that it
  // now stores that many tokens. Call before writing token `total_tokens - 1`.
  [[nodiscard]] virtual GrowResult grow(RequestId id, std::int64_t total_tokens) = 0;

  // The request finished with `output_tokens` generated: frees its slots and (odma) learns the
  // length.
  [[nodiscard]] virtual Status finish(RequestId id, std::int32_t output_tokens) = 0;

  // The request is gone without a usable length (client abort, error): frees its slots only.
  [[nodiscard]] virtual Status release(RequestId id) = 0;

  // Releases the request for recompute (the caller re-queues it) and counts a preemption: how the
  // planner frees room after a kNoRoom. Victim choice is the caller's, the same for every policy.
  [[nodiscard]] virtual Status preempt(RequestId id) = 0;

  virtual const Allocation* allocation(RequestId id) const = 0;  // nullptr if not live
  virtual KvCounters counters() const = 0;
  virtual KvGauges gauges() const = 0;
  virtual bool contiguous() const = 0;  // false for paged (attention via block table)

  // Frees every cached range no live request reads (vLLM's /reset_prefix_cache); returns the
  // slots freed.
  virtual std::int64_t reset_prefix_cache() { return 0; }
  // Whether finished requests' K/V stay cached for later prompts (false: caching off, static).
  virtual bool prefix_caching() const { return false; }
  // Leading tokens of `prompt` the cache holds now (at most |prompt| − 1, as admission reads;
  // token-granular even for paged). Pins and touches nothing: a router's look (sim/fleet.h).
  virtual std::int64_t cached_prefix(std::span<const std::int32_t> /*prompt*/) const { return 0; }

  // Current output-length bucket upper edges (odma/s3; empty for others), for plots.
  virtual std::vector<std::int32_t> bucket_edges() const { return {}; }

  // Checks every invariant of DESIGN.md (no overlap, every slot free or owned once, sums match).
  // Returns "" when valid, else a description of the first violation. O(n log n); tests only.
  virtual std::string validate() const = 0;
};

// The policies make_policy builds, in the order every table prints them: one entry each, so names,
// help texts and errors all come from this list.
struct PolicyInfo {
  const char* name;
  const char* summary;  // one line for --help
};
const std::vector<PolicyInfo>& policy_infos();

// policy_infos()'s names: "static", "paged", "s3", "odma", "oracle".
std::vector<std::string> policy_names();
// "static, paged, s3, odma, oracle" (for messages).
std::string policy_names_text();

// Throws odma::Error for an unknown name or an invalid configuration (zero capacity, granule 0,
// more buckets than slots, block size not a multiple of the granule, ...), naming the field.
std::unique_ptr<Policy> make_policy(const std::string& name, const PolicyConfig& config);

}  // namespace odma::kv
