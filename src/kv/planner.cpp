#include "kv/planner.h"

#include <algorithm>
#include <unordered_set>

#include "base/debug.h"
#include "base/error.h"

namespace odma::kv {

StepPlanner::StepPlanner(Policy& policy, const PlannerConfig& config)
    : policy_(policy), config_(config) {
  if (config.max_batch < 1) throw Error("planner: max_batch must be >= 1");
  if (config.prefill_chunk_tokens < 1) throw Error("planner: prefill_chunk_tokens must be >= 1");
  if (config.step_token_budget < 1) throw Error("planner: step_token_budget must be >= 1");
}

void StepPlanner::submit(const RequestSpec& spec, bool predict_at_admission) {
  if (requests_.count(spec.id) != 0)
    throw Error("planner: duplicate request id " + std::to_string(spec.id));
  requests_[spec.id] = Request{spec, 0, 0, 0, predict_at_admission && predictor_ != nullptr};
  waiting_.push_back(spec.id);
}

// Fresh requests prefill the prompt; resumed ones recompute prompt + generated − 1 (the newest
// generated token is fed by the next decode).
std::int32_t StepPlanner::context_target(const Request& r) const {
  return r.generated == 0 ? r.spec.prompt_tokens : r.spec.prompt_tokens + r.generated - 1;
}

bool StepPlanner::ensure_slots(Request& r, std::int64_t total, StepPlan& plan) {
  if (total <= r.used) return true;
  for (;;) {
    GrowResult g = policy_.grow(r.spec.id, total);
    switch (g.status) {
      case Status::kOk:
      case Status::kGrewInPlace:
      case Status::kChained:
      case Status::kMigrated:
        plan.copies.insert(plan.copies.end(), g.copies.begin(), g.copies.end());
        r.used = total;
        return true;
      case Status::kPreempted:  // the policy released it itself (S3)
        requeue_preempted(r.spec.id, plan);
        return false;
      case Status::kNoRoom:
        if (preempt_newest(plan) == r.spec.id) return false;
        continue;  // room was freed: try again
      default:
        ODMA_CHECK_STATUS(policy_.release(r.spec.id));
        fail(r.spec.id, plan);
        return false;
    }
  }
}

RequestId StepPlanner::preempt_newest(StepPlan& plan) {
  const RequestId victim = running_.back();
  ODMA_CHECK_STATUS(policy_.preempt(victim));
  // Work already planned for it this step is dropped, and its tokens go back to the budget.
  for (const WorkItem& w : plan.items) {
    if (w.id == victim) budget_ += w.n_tokens;
  }
  std::erase_if(plan.items, [victim](const WorkItem& w) { return w.id == victim; });
  requeue_preempted(victim, plan);
  return victim;
}

void StepPlanner::requeue_preempted(RequestId id, StepPlan& plan) {
  Request& r = requests_.at(id);
  r.spec.generated_before_preemption = r.generated;
  r.computed = 0;
  r.used = 0;
  r.running = false;
  running_.erase(std::find(running_.begin(), running_.end(), id));
  waiting_.push_front(id);
  plan.preempted.push_back(id);
  ++preemptions_;
}

void StepPlanner::fail(RequestId id, StepPlan& plan) {
  if (auto it = std::find(running_.begin(), running_.end(), id); it != running_.end())
    running_.erase(it);
  if (auto it = std::find(waiting_.begin(), waiting_.end(), id); it != waiting_.end())
    waiting_.erase(it);
  requests_.erase(id);
  plan.failed.push_back(id);
  ++failed_;
}

void StepPlanner::admit_waiting(StepPlan& plan) {
  while (!waiting_.empty() && running_.size() < static_cast<std::size_t>(config_.max_batch) &&
         budget_ > 0) {
    RequestId id = waiting_.front();
    Request& r = requests_.at(id);
    if (r.needs_prediction) {
      r.spec.prediction = predictor_(r.spec);
      r.needs_prediction = false;
    }
    AdmitResult a = policy_.admit(r.spec);
    if (a.status == Status::kDeferred) {
      // With nothing running, no completion will ever make room: the request cannot be served.
      if (running_.empty()) {
        fail(id, plan);
        continue;
      }
      return;  // FCFS: the head waits for memory
    }
    if (a.status != Status::kOk) {
      fail(id, plan);
      continue;
    }
    waiting_.pop_front();
    running_.push_back(id);
    r.running = true;
    plan.admitted.push_back(id);
    plan.copies.insert(plan.copies.end(), a.copies.begin(), a.copies.end());
    r.used = r.spec.prompt_tokens;
    // A cached prefix (prefix caching) is already computed: prefill starts after it.
    const Allocation* held = policy_.allocation(id);
    r.computed = held != nullptr ? static_cast<std::int32_t>(held->shared_tokens) : 0;
    std::int32_t target = context_target(r);
    std::int32_t chunk = std::min({target - r.computed, config_.prefill_chunk_tokens, budget_});
    // A recompute may need more than the admission gave; if growing fails the request is back at
    // the head of the queue, and admitting it again this step would only repeat that.
    if (!ensure_slots(r, r.computed + chunk, plan)) return;
    bool emits = r.computed + chunk == target && r.generated == 0;
    plan.items.push_back({id, WorkKind::kPrefill, r.computed, chunk, emits});
    budget_ -= chunk;
  }
}

StepPlan StepPlanner::plan_step() {
  StepPlan plan;
  budget_ = config_.step_token_budget;
  // Decodes first: running requests keep their pace (and their growth beats new admissions).
  const std::vector<RequestId> order = running_;
  for (RequestId id : order) {
    if (budget_ == 0) break;
    Request& r = requests_.at(id);
    if (!r.running || r.computed < context_target(r)) continue;  // preempted meanwhile / prefilling
    std::int32_t pos = r.spec.prompt_tokens + r.generated - 1;
    if (!ensure_slots(r, pos + 1, plan)) continue;
    plan.items.push_back({id, WorkKind::kDecode, pos, 1, true});
    --budget_;
  }
  // Then chunks of prefills already under way, in admission order.
  for (RequestId id : std::vector<RequestId>(running_)) {
    if (budget_ == 0) break;
    Request& r = requests_.at(id);
    std::int32_t target = context_target(r);
    if (!r.running || r.computed >= target) continue;
    std::int32_t chunk = std::min({target - r.computed, config_.prefill_chunk_tokens, budget_});
    if (!ensure_slots(r, r.computed + chunk, plan)) continue;
    bool emits = r.computed + chunk == target && r.generated == 0;
    plan.items.push_back({id, WorkKind::kPrefill, r.computed, chunk, emits});
    budget_ -= chunk;
  }
  admit_waiting(plan);
  last_items_ = plan.items;
  return plan;
}

Completion StepPlanner::finish(RequestId id) {
  Request& r = requests_.at(id);
  const Allocation* a = policy_.allocation(id);
  // Reservation quality concerns the request's own part: shared (cached) tokens held no slot.
  const std::int64_t shared = a != nullptr ? a->shared_tokens : 0;
  Completion c{id, r.generated,
               static_cast<std::int64_t>(r.spec.prompt_tokens) + r.generated - shared,
               a != nullptr ? a->reserved : 0, r.spec.prediction.output_tokens};
  ODMA_CHECK_STATUS(policy_.finish(id, r.generated));
  requests_.erase(id);
  return c;
}

std::vector<Completion> StepPlanner::commit_step(std::span<const RequestId> finished) {
  std::unordered_set<RequestId> stop(finished.begin(), finished.end());
  std::vector<Completion> done;
  std::unordered_set<RequestId> gone;
  for (const WorkItem& w : last_items_) {
    auto it = requests_.find(w.id);
    if (it == requests_.end()) continue;  // cancelled meanwhile
    Request& r = it->second;
    r.computed += w.n_tokens;
    if (!w.emits_token) continue;
    ++r.generated;
    if (stop.count(w.id) != 0 || r.generated >= r.spec.max_output_tokens) {
      done.push_back(finish(w.id));
      gone.insert(w.id);
    }
  }
  last_items_.clear();
  if (!gone.empty()) {
    std::erase_if(running_, [&](RequestId id) { return gone.count(id) != 0; });
  }
  return done;
}

bool StepPlanner::cancel(RequestId id) {
  if (requests_.count(id) == 0) return false;
  if (auto it = std::find(waiting_.begin(), waiting_.end(), id); it != waiting_.end()) {
    waiting_.erase(it);
  } else {
    ODMA_CHECK_STATUS(policy_.release(id));
    std::erase(running_, id);
  }
  std::erase_if(last_items_, [&](const WorkItem& w) { return w.id == id; });
  requests_.erase(id);
  return true;
}

std::int32_t StepPlanner::generated(RequestId id) const {
  auto it = requests_.find(id);
  return it == requests_.end() ? -1 : it->second.generated;
}

}  // namespace odma::kv
