#include "kv/contiguous_policy.h"

namespace odma::kv {

std::optional<ContiguousPolicy::Placement> ContiguousPolicy::place(const RequestSpec& spec,
                                                                   PrefixHit& hit,
                                                                   std::vector<CopyOp>& copies) {
  const RequestSpec own = own_spec(spec, hit.match.length);
  const std::int64_t need = reservation(own);
  // Room: cached ranges nobody reads go first (least recent first), compaction last.
  while (!admission_allowed(need) && evict_cached(need)) {
  }
  if (!admission_allowed(need)) return std::nullopt;
  Placement p{need, own.prompt_tokens, {}, {}};
  p.offset = arena_.allocate(need, spec.id, &p.head);
  // The room must come free in one piece: the best window of cached ranges first, then one
  // least-recent victim at a time.
  if (!p.offset && evict_for_range(need)) p.offset = arena_.allocate(need, spec.id, &p.head);
  while (!p.offset && evict_cached(1)) p.offset = arena_.allocate(need, spec.id, &p.head);
  if (!p.offset) {
    p.offset = place_after_compaction(need, spec.id, copies);
    if (!p.offset) return std::nullopt;
    p.head = arena_.find(*p.offset);
    refresh_hit(spec, hit);  // compaction may have slid the cached ranges it reads
  }
  return p;
}

AdmitResult ContiguousPolicy::admit(const RequestSpec& spec) {
  AdmitResult result;
  result.status = check_admission(spec);
  if (result.status != Status::kOk) return result;
  // The cached prefix is pinned first, so that making room cannot evict it; the reservation
  // covers the rest of the prompt and the output.
  PrefixHit hit = lookup_prefix(spec);
  std::optional<Placement> p = place(spec, hit, result.copies);
  if (!p && hit.match.length > 0) {
    // The pinned prefix may itself split the only free range big enough (a policy that cannot
    // slide it away): then the request is admitted unshared and recomputes the prefix, rather
    // than wait for room that never comes (measured: 4 failed requests of 500 for s3 and oracle
    // on the full-length Mooncake trace before this).
    drop_hit(hit);
    p = place(spec, hit, result.copies);
  }
  if (!p) {
    ++counters_.deferrals;
    result.status = Status::kDeferred;
    return result;
  }
  Allocation alloc;
  alloc.extents.push_back({*p->offset, p->need});
  alloc.reserved = p->need;
  alloc.used = p->own_prompt;
  insert_live(spec, std::move(alloc), p->head, std::move(hit));
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
