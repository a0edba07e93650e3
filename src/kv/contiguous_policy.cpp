#include "kv/contiguous_policy.h"

namespace odma::kv {

AdmitResult ContiguousPolicy::admit(const RequestSpec& spec) {
  AdmitResult result;
  result.status = check_admission(spec);
  if (result.status != Status::kOk) return result;
  const std::int64_t need = reservation(spec);
  std::optional<std::int64_t> offset;
  Arena::Handle head{};
  if (admission_allowed(need)) {
    offset = arena_.allocate(need, spec.id, &head);
    if (!offset) {
      offset = place_after_compaction(need, spec.id, result.copies);
      if (offset) head = arena_.find(*offset);
    }
  }
  if (!offset) {
    ++counters_.deferrals;
    result.status = Status::kDeferred;
    return result;
  }
  Allocation alloc;
  alloc.extents.push_back({*offset, need});
  alloc.reserved = need;
  alloc.used = spec.prompt_tokens;
  insert_live(spec, std::move(alloc), head);
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
