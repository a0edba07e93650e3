#include "kv/policy_base.h"

#include <algorithm>
#include <cmath>

#include "kv/validator.h"

namespace odma::kv {

PolicyBase::PolicyBase(const PolicyConfig& config, std::int64_t unit)
    : config_(config), arena_(config.capacity_tokens / unit * unit, config.granule) {}

Status PolicyBase::check_admission(const RequestSpec& spec) const {
  const LengthPrediction& p = spec.prediction;
  if (spec.prompt_tokens <= 0 || spec.max_output_tokens <= 0 ||
      spec.generated_before_preemption < 0 ||
      spec.generated_before_preemption >= spec.max_output_tokens || p.output_tokens < 0 ||
      !(p.uncertainty >= 0.0) || p.true_output_tokens < -1) {
    return Status::kInvalidArgument;
  }
  if (live_.count(spec.id) != 0) return Status::kDuplicateRequest;
  if (static_cast<std::int64_t>(spec.prompt_tokens) + spec.max_output_tokens >
      config_.max_model_len) {
    return Status::kExceedsModelLimit;
  }
  if (max_slots(spec) > arena_.capacity()) return Status::kNeverFits;
  return Status::kOk;
}

Status PolicyBase::check_growth(RequestId id, std::int64_t total_tokens, Live** live) {
  auto it = live_.find(id);
  if (it == live_.end()) return Status::kUnknownRequest;
  if (total_tokens < it->second.alloc.used) return Status::kInvalidArgument;
  if (total_tokens > it->second.spec.total_tokens_cap() || total_tokens > config_.max_model_len) {
    return Status::kExceedsModelLimit;
  }
  *live = &it->second;
  return Status::kOk;
}

std::int64_t PolicyBase::reservation_for(const RequestSpec& spec, std::int64_t output) const {
  const std::int64_t wanted =
      arena_.round_up(spec.prompt_tokens + std::max<std::int64_t>(output, 0));
  return std::min(wanted, arena_.round_up(spec.total_tokens_cap()));
}

std::int64_t PolicyBase::max_slots(const RequestSpec& spec) const {
  return arena_.round_up(spec.total_tokens_cap());
}

PolicyBase::Live& PolicyBase::insert_live(const RequestSpec& spec, Allocation alloc,
                                          Arena::Handle head) {
  reserved_ += alloc.reserved;
  used_ += alloc.used;
  ++counters_.admitted;
  const std::int64_t reserved = alloc.reserved;
  Live& live = live_[spec.id];
  live.spec = spec;
  live.alloc = std::move(alloc);
  live.admitted_reserved = reserved;
  live.head = head;
  return live;
}

void PolicyBase::drop_live(RequestId id) {
  drop_live(live_.find(id));
}

void PolicyBase::drop_live(std::unordered_map<RequestId, Live>::iterator it) {
  on_drop(it->second);
  release_extents(it->second.alloc, it->second.head);
  reserved_ -= it->second.alloc.reserved;
  used_ -= it->second.alloc.used;
  live_.erase(it);
}

void PolicyBase::release_extents(const Allocation& alloc, Arena::Handle head) {
  arena_.release(head);
  for (std::size_t i = 1; i < alloc.extents.size(); ++i) {
    arena_.release(alloc.extents[i].offset, alloc.extents[i].length);
  }
}

GrowResult PolicyBase::preempt_self(RequestId id) {
  ++counters_.overflows;
  ++counters_.preemptions;
  drop_live(id);
  return {Status::kPreempted, {}};
}

GrowResult PolicyBase::no_room() {
  ++counters_.no_room;
  return {Status::kNoRoom, {}};
}

Status PolicyBase::preempt(RequestId id) {
  auto it = live_.find(id);
  if (it == live_.end()) return Status::kUnknownRequest;
  ++counters_.preemptions;
  drop_live(it);
  return Status::kOk;
}

void PolicyBase::set_used(Live& live, std::int64_t total_tokens) {
  used_ += total_tokens - live.alloc.used;
  live.alloc.used = total_tokens;
}

Status PolicyBase::finish(RequestId id, std::int32_t output_tokens) {
  auto it = live_.find(id);
  if (it == live_.end()) return Status::kUnknownRequest;
  if (output_tokens < 0 || output_tokens > it->second.spec.max_output_tokens) {
    return Status::kInvalidArgument;
  }
  on_finish(it->second, output_tokens);
  drop_live(it);
  return Status::kOk;
}

Status PolicyBase::release(RequestId id) {
  auto it = live_.find(id);
  if (it == live_.end()) return Status::kUnknownRequest;
  drop_live(it);
  return Status::kOk;
}

const Allocation* PolicyBase::allocation(RequestId id) const {
  auto it = live_.find(id);
  return it == live_.end() ? nullptr : &it->second.alloc;
}

KvGauges PolicyBase::gauges() const {
  KvGauges g;
  g.capacity = arena_.capacity();
  g.reserved = reserved_;
  g.used = used_;
  g.free = arena_.free_slots();
  g.largest_free = arena_.largest_free();
  g.safety_pool = safety_pool();
  g.live_requests = static_cast<std::int64_t>(live_.size());
  return g;
}

std::int64_t stored_in_extent(const Allocation& alloc, std::size_t index) {
  std::int64_t start = 0;
  for (std::size_t i = 0; i < index; ++i) start += alloc.extents[i].length;
  return std::clamp<std::int64_t>(alloc.used - start, 0, alloc.extents[index].length);
}

bool PolicyBase::compact(std::int64_t max_moves, const Arena::SlideGoal& goal,
                         std::vector<CopyOp>& copies) {
  auto plan = arena_.plan_slide(max_moves, goal);
  if (!plan) return false;
  for (const SlideMove& move : *plan) {
    const Arena::Handle moved = arena_.apply(move);
    Live& live = live_.find(move.owner)->second;
    Allocation& alloc = live.alloc;
    for (std::size_t i = 0; i < alloc.extents.size(); ++i) {
      if (alloc.extents[i].offset != move.from) continue;
      alloc.extents[i].offset = move.to;
      if (i == 0) live.head = moved;
      const std::int64_t stored = stored_in_extent(alloc, i);
      if (stored > 0) copies.push_back({move.from, move.to, stored});
      counters_.copied_tokens += stored;
      break;
    }
    ++counters_.compaction_moves;
  }
  return true;
}

std::string PolicyBase::validate() const {
  LiveView view;
  view.reserve(live_.size());
  for (const auto& [id, live] : live_) view.emplace_back(id, &live.alloc);
  const KvGauges g = gauges();
  if (std::string e = validate_layout(arena_, view); !e.empty()) return e;
  if (std::string e = validate_accounting(view, g); !e.empty()) return e;
  if (std::string e = validate_counters(counters_, g); !e.empty()) return e;
  for (const auto& [id, live] : live_) {
    if (live.alloc.used < live.spec.prompt_tokens ||
        live.alloc.used > live.spec.total_tokens_cap()) {
      return "request " + std::to_string(id) + ": used outside [prompt, cap]";
    }
  }
  return validate_policy();
}

}  // namespace odma::kv
