#include "kv/contiguous_policy.h"

namespace odma::kv {

AdmitResult ContiguousPolicy::admit(const RequestSpec& spec) {
  AdmitResult result;
  result.status = check_admission(spec);
  if (result.status != Status::kOk) return result;
  // The cached prefix is pinned first, so that making room cannot evict it; the reservation
  // covers the rest of the prompt and the output.
  PrefixHit hit = lookup_prefix(spec);
  const RequestSpec own = own_spec(spec, hit.match.length);
  const std::int64_t need = reservation(own);
  // Room: cached ranges nobody reads go first (least recent first), compaction last.
  while (!admission_allowed(need) && evict_cached(need)) {
  }
  std::optional<std::int64_t> offset;
  Arena::Handle head{};
  if (admission_allowed(need)) {
    offset = arena_.allocate(need, spec.id, &head);
    // The room must come free in one piece: the best window of cached ranges first, then one
    // least-recent victim at a time.
    if (!offset && evict_for_range(need)) offset = arena_.allocate(need, spec.id, &head);
    while (!offset && evict_cached(1)) offset = arena_.allocate(need, spec.id, &head);
    if (!offset) {
      offset = place_after_compaction(need, spec.id, result.copies);
      if (offset) {
        head = arena_.find(*offset);
        refresh_hit(spec, hit);  // compaction may have slid the cached ranges it reads
      }
    }
  }
  if (!offset) {
    drop_hit(hit);
    ++counters_.deferrals;
    result.status = Status::kDeferred;
    return result;
  }
  Allocation alloc;
  alloc.extents.push_back({*offset, need});
  alloc.reserved = need;
  alloc.used = own.prompt_tokens;
  insert_live(spec, std::move(alloc), head, std::move(hit));
  return result;
}

GrowResult ContiguousPolicy::grow(RequestId id, std::int64_t total_tokens) {
  Live* live = nullptr;
  if (Status s = check_growth(id, total_tokens, &live); s != Status::kOk) return {s, {}};
  if (total_tokens <= live->alloc.reserved) {
    set_used(*live, total_tokens);
    return {Status::kOk, {}};
  }
  return overflow(*live, total_tokens);
}

}  // namespace odma::kv
