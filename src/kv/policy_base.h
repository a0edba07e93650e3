// Shared bookkeeping of every policy: live requests, the arena, counters, argument checks,
// finish/release and validation. Policies add only their reservation and overflow decisions.
//
// Accounting kept incrementally (checked by validate()):
//   reserved_ == Σ_live alloc.reserved == arena.capacity() − arena.free_slots()
//   used_     == Σ_live alloc.used
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "kv/arena.h"
#include "kv/policy.h"

namespace odma::kv {

class PolicyBase : public Policy {
 public:
  [[nodiscard]] Status finish(RequestId id, std::int32_t output_tokens) override;
  [[nodiscard]] Status release(RequestId id) override;
  [[nodiscard]] Status preempt(RequestId id) override;
  const Allocation* allocation(RequestId id) const override;
  KvCounters counters() const override { return counters_; }
  KvGauges gauges() const override;
  std::string validate() const override;

  const PolicyConfig& config() const { return config_; }
  const Arena& arena() const { return arena_; }

 protected:
  struct Live {
    RequestSpec spec;
    Allocation alloc;
    std::int64_t admitted_reserved = 0;  // slots reserved at admission (overflow draws = the rest)
    Arena::Handle head{};                // the arena range of alloc.extents[0] (fast release/grow)
  };

  // `unit` = allocation unit (granule, or the block for paged); the arena covers
  // capacity_tokens rounded down to it.
  PolicyBase(const PolicyConfig& config, std::int64_t unit);

  // Argument, duplicate, model-limit and never-fits checks shared by every admit().
  [[nodiscard]] Status check_admission(const RequestSpec& spec) const;
  // Unknown id, shrinking and limit checks shared by every grow(); sets *live on kOk.
  [[nodiscard]] Status check_growth(RequestId id, std::int64_t total_tokens, Live** live);

  // min(round_up(prompt + output), round_up(cap)): the reservation for `output` predicted tokens.
  std::int64_t reservation_for(const RequestSpec& spec, std::int64_t output) const;
  // Most slots the request could ever hold (never-fits test); default round_up(cap).
  virtual std::int64_t max_slots(const RequestSpec& spec) const;

  Live& insert_live(const RequestSpec& spec, Allocation alloc, Arena::Handle head);
  // Releases every extent of `alloc` (extent 0 through `head`).
  void release_extents(const Allocation& alloc, Arena::Handle head);
  // Frees every extent and forgets the request (finish, release, preemption).
  void drop_live(RequestId id);
  void drop_live(std::unordered_map<RequestId, Live>::iterator it);
  // The policy's own overflow answer for `id` that releases it for recompute (S3's re-bucketing).
  GrowResult preempt_self(RequestId id);
  // Counts and answers kNoRoom for a growth of `id` (changes nothing else).
  GrowResult no_room();
  // Adds `delta` slots to `live`'s reservation in the running sums (after the arena changed).
  void add_reserved(std::int64_t delta) { reserved_ += delta; }
  void set_used(Live& live, std::int64_t total_tokens);

  // Lowest-address-first sliding until `goal` holds (at most `max_moves` moves). On success applies
  // the moves, fixes the owners' extents and appends their CopyOps; otherwise changes nothing.
  bool compact(std::int64_t max_moves, const Arena::SlideGoal& goal, std::vector<CopyOp>& copies);

  // Hooks.
  virtual void on_finish(const Live& /*live*/, std::int32_t /*output_tokens*/) {}
  virtual void on_drop(const Live& /*live*/) {}
  virtual std::int64_t safety_pool() const { return 0; }
  virtual std::string validate_policy() const { return ""; }

  PolicyConfig config_;
  Arena arena_;
  std::unordered_map<RequestId, Live> live_;
  KvCounters counters_;
  std::int64_t reserved_ = 0;
  std::int64_t used_ = 0;
};

// Tokens of `alloc` stored in its extent `index` (tokens fill the extents in logical order).
std::int64_t stored_in_extent(const Allocation& alloc, std::size_t index);

}  // namespace odma::kv
