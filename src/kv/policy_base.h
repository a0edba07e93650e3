// Shared bookkeeping of every policy: live requests, the arena, counters, argument checks,
// finish/release and validation. Policies add only their reservation and overflow decisions.
//
// Accounting kept incrementally (checked by validate()):
//   reserved_ == Σ_live alloc.reserved == arena.capacity() − arena.free_slots()
//   used_     == Σ_live alloc.used
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "kv/arena.h"
#include "kv/policy.h"
#include "kv/prefix_index.h"

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
  std::int64_t reset_prefix_cache() override;
  bool prefix_caching() const override { return caching_; }
  std::int64_t cached_prefix(std::span<const std::int32_t> prompt) const override;

 protected:
  struct Live {
    RequestSpec spec;
    Allocation alloc;
    std::int64_t admitted_reserved = 0;  // slots reserved at admission (overflow draws = the rest)
    Arena::Handle head{};                // the arena range of alloc.extents[0] (fast release/grow)
    std::optional<LeaseId> lease;        // the prefix cache's pin on alloc.shared
  };
  // The arena owner of the prefix cache's ranges.
  static constexpr RequestId kCacheOwner = ~RequestId{0};

  // `unit` = allocation unit (granule, or the block for paged); the arena covers
  // capacity_tokens rounded down to it.
  PolicyBase(const PolicyConfig& config, std::int64_t unit);

  // Argument, duplicate, model-limit and never-fits checks shared by every admit().
  [[nodiscard]] Status check_admission(const RequestSpec& spec) const;
  // Unknown id, shrinking and limit checks shared by every grow(); sets *live on kOk and turns
  // `total_tokens` into own coordinates (minus the request's shared tokens).
  [[nodiscard]] Status check_growth(RequestId id, std::int64_t& total_tokens, Live** live);

  // Prefix caching, used by admit(): the cached prefix of the request's prompt (at most prompt −
  // 1 tokens: the last one is computed for its logits), pinned by a lease so that making room
  // cannot evict it; none when caching is off, for static, or without tokens. With
  // prefix_block() > 0 (paged) it is cut to whole blocks, each inside one run and block-aligned.
  struct PrefixHit {
    PrefixMatch match;
    std::optional<LeaseId> lease;
  };
  PrefixHit lookup_prefix(const RequestSpec& spec);
  // The request as the policy sizes it: its prompt less the shared tokens.
  static RequestSpec own_spec(const RequestSpec& spec, std::int64_t shared_tokens);
  // A deferred admission lets its pin go.
  void drop_hit(PrefixHit& hit);
  // The hit's runs again, where they are now (after a compaction that slid cached ranges).
  void refresh_hit(const RequestSpec& spec, PrefixHit& hit) const;
  // Evicts unread cached ranges, least recent first, until `need` slots came free or none is
  // left; false when nothing was freed.
  bool evict_cached(std::int64_t need);
  // Makes one free range of `need` slots by evicting the cached ranges of the best window: a run
  // of adjacent free and wholly evictable cached ranges holding `need`, whose most recently used
  // range is the least recent (then: the fewest slots evicted). A contiguous request needs its
  // room in one piece, and least-recent-first eviction alone would empty scattered ranges until
  // two happen to touch. False (nothing changed) when no such window exists.
  bool evict_for_range(std::int64_t need);
  // Paged: the block size the shared part must respect (0: token granular).
  virtual std::int64_t prefix_block() const { return 0; }
  // Unit a finished request's cached range is rounded to (granule; paged: a block).
  virtual std::int64_t cache_unit() const { return arena_.granule(); }

  // min(round_up(prompt + output), round_up(cap)): the reservation for `output` predicted tokens.
  std::int64_t reservation_for(const RequestSpec& spec, std::int64_t output) const;
  // Most slots the request could ever hold (never-fits test); default round_up(cap).
  virtual std::int64_t max_slots(const RequestSpec& spec) const;

  // `spec` is the full request; `hit` (moved in) becomes its shared part.
  Live& insert_live(const RequestSpec& spec, Allocation alloc, Arena::Handle head,
                    PrefixHit hit = {});
  // Releases every extent of `alloc` (extent 0 through `head`).
  void release_extents(const Allocation& alloc, Arena::Handle head);
  // Frees every extent and forgets the request (finish, release, preemption). `cache_it`: its
  // stored tokens stay cached (finish with prefix caching) instead of being freed.
  void drop_live(RequestId id);
  void drop_live(std::unordered_map<RequestId, Live>::iterator it, bool cache_it = false);
  // The policy's own overflow answer for `id` that releases it for recompute (S3's re-bucketing).
  GrowResult preempt_self(RequestId id);
  // Counts and answers kNoRoom for a growth of `id` (changes nothing else).
  GrowResult no_room();
  // Adds `delta` slots to `live`'s reservation in the running sums (after the arena changed).
  void add_reserved(std::int64_t delta) { reserved_ += delta; }
  void set_used(Live& live, std::int64_t total_tokens);

  // Lowest-address-first sliding until `goal` holds (at most `max_moves` moves). On success applies
  // the moves, fixes the owners' extents (cached ranges: the index and every reader's shared runs)
  // and appends their CopyOps; otherwise changes nothing.
  bool compact(std::int64_t max_moves, const Arena::SlideGoal& goal, std::vector<CopyOp>& copies);

  // Hooks.
  virtual void on_finish(const Live& /*live*/, std::int32_t /*output_tokens*/) {}
  virtual void on_drop(const Live& /*live*/) {}
  virtual std::int64_t safety_pool() const { return 0; }
  virtual std::string validate_policy() const { return ""; }

  PolicyConfig config_;
  Arena arena_;
  PrefixIndex cache_;
  bool caching_ = false;
  std::unordered_map<RequestId, Live> live_;
  KvCounters counters_;
  std::int64_t reserved_ = 0;
  std::int64_t used_ = 0;

 private:
  // Returns what the index freed (the tails it trimmed first, then `freed`) to the arena.
  struct Released {
    std::int64_t ranges = 0;  // tails and whole ranges
    std::int64_t slots = 0;
  };
  Released release_evicted(const std::vector<Extent>& freed);
  // release_evicted() for eviction that makes room: counted in cache_evictions; true if any.
  bool evicted_for_room(const std::vector<Extent>& freed);
  // Hands the own extents' stored tokens to the prefix cache; frees the rest.
  void cache_extents(const Live& live);
  // `alloc`'s shared runs after the cached range `moved` slid to `to`.
  static void shift_shared(Allocation& alloc, const Extent& moved, std::int64_t to);
};

// Tokens of `alloc` stored in its extent `index` (tokens fill the extents in logical order).
std::int64_t stored_in_extent(const Allocation& alloc, std::size_t index);

}  // namespace odma::kv
