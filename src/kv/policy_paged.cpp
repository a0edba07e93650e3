#include "kv/policy_paged.h"

#include <cmath>

namespace odma::kv {

PagedPolicy::PagedPolicy(const PolicyConfig& config)
    : PolicyBase(config, config.block_tokens),
      block_(config.block_tokens),
      watermark_blocks_(static_cast<std::int64_t>(
          std::floor(config.paged_watermark * static_cast<double>(arena_.capacity() / block_)))) {}

void PagedPolicy::append_blocks(Allocation& alloc, RequestId owner, std::int64_t count,
                                Arena::Handle* head) {
  for (std::int64_t i = 0; i < count; ++i) {
    // Every free range is a whole number of aligned blocks, so this cannot fail.
    const std::int64_t offset =
        *arena_.allocate(block_, owner, alloc.extents.empty() ? head : nullptr);
    alloc.extents.push_back({offset, block_});
  }
  alloc.reserved += count * block_;
}

AdmitResult PagedPolicy::admit(const RequestSpec& spec) {
  AdmitResult result;
  result.status = check_admission(spec);
  if (result.status != Status::kOk) return result;
  // vLLM's automatic prefix caching: the cached whole blocks of the prompt are shared (pinned
  // first, so that making room cannot evict them); the request allocates the rest.
  PrefixHit hit = lookup_prefix(spec);
  const RequestSpec own = own_spec(spec, hit.match.length);
  const std::int64_t blocks = blocks_for(own.prompt_tokens);
  // vLLM's can_allocate: a preempted request comes back only when its whole recompute context
  // (prompt + generated, the next decode included) fits, not just its prompt; otherwise it would
  // grow into a full arena during the recompute and be preempted again at once. Blocks beyond the
  // prompt are still taken as the recompute grows, so every request holds exactly its used blocks.
  const std::int64_t need = blocks_for(own.prompt_tokens + spec.generated_before_preemption);
  const std::int64_t keep = live_.empty() ? 0 : watermark_blocks_;
  // Unread cached blocks are evicted only when that makes room (vLLM counts them as free).
  if (free_blocks() + cache_.reclaimable_slots() / block_ - need >= keep) {
    while (free_blocks() - need < keep && evict_cached((need + keep - free_blocks()) * block_)) {
    }
  }
  if (free_blocks() - need < keep) {
    drop_hit(hit);
    ++counters_.deferrals;
    result.status = Status::kDeferred;
    return result;
  }
  Allocation alloc;
  Arena::Handle head{};
  append_blocks(alloc, spec.id, blocks, &head);
  alloc.used = own.prompt_tokens;
  insert_live(spec, std::move(alloc), head, std::move(hit));
  return result;
}

GrowResult PagedPolicy::grow(RequestId id, std::int64_t total_tokens) {
  Live* live = nullptr;
  if (Status s = check_growth(id, total_tokens, &live); s != Status::kOk) return {s, {}};
  if (total_tokens <= live->alloc.reserved) {
    set_used(*live, total_tokens);
    return {Status::kOk, {}};
  }
  const std::int64_t more = blocks_for(total_tokens) - blocks_for(live->alloc.reserved);
  if (more <= free_blocks() + cache_.reclaimable_slots() / block_) {
    while (more > free_blocks() && evict_cached((more - free_blocks()) * block_)) {
    }
  }
  if (more > free_blocks()) return no_room();  // the planner preempts a victim (vLLM's rule)
  ++counters_.overflows;
  ++counters_.chains;
  const std::int64_t before = live->alloc.reserved;
  append_blocks(live->alloc, id, more, nullptr);
  add_reserved(live->alloc.reserved - before);
  set_used(*live, total_tokens);
  return {Status::kChained, {}};
}

std::string PagedPolicy::validate_policy() const {
  for (const auto& [id, live] : live_) {
    const Allocation& a = live.alloc;
    if (static_cast<std::int64_t>(a.extents.size()) != blocks_for(a.used)) {
      return "paged request " + std::to_string(id) + ": " + std::to_string(a.extents.size()) +
             " blocks for " + std::to_string(a.used) + " tokens";
    }
    for (const Extent& e : a.extents) {
      if (e.length != block_ || e.offset % block_ != 0) {
        return "paged request " + std::to_string(id) + ": extent at " + std::to_string(e.offset) +
               " is not one aligned block";
      }
    }
  }
  return "";
}

}  // namespace odma::kv
