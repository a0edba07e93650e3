#include "kv/session.h"

#include <algorithm>

#include "base/error.h"

namespace odma::kv {

SessionConfig normalize_session_config(const SessionConfig& config) {
  SessionConfig c = config;
  PolicyConfig& k = c.kv;
  if (c.model_positions > 0) k.max_model_len = std::min(k.max_model_len, c.model_positions);
  if (k.max_model_len < 2) {
    throw Error("kv session: max_model_len must be >= 2 (one prompt and one output token), got " +
                std::to_string(k.max_model_len));
  }
  const std::int32_t room = k.max_model_len - 1;
  c.max_output_tokens = c.max_output_tokens <= 0 ? room : std::min(c.max_output_tokens, room);
  // A short model length leaves room for fewer odma buckets than asked for.
  if (k.granule > 0)
    k.odma.buckets = std::clamp(k.odma.buckets, 1, std::max(1, k.max_model_len / k.granule));
  k.s3_max_output =
      k.s3_max_output <= 0 ? c.max_output_tokens : std::min(k.s3_max_output, c.max_output_tokens);
  k.s3_buckets = std::min(k.s3_buckets, std::max(1, k.s3_max_output));
  return c;
}

Session::Session(const SessionConfig& config)
    : config_(normalize_session_config(config)),
      policy_(make_policy(config_.policy, config_.kv)),
      planner_(*policy_, config_.planner) {}

std::int32_t Session::cap_for(std::int32_t prompt_tokens, std::int32_t asked) const {
  return std::min({asked, config_.max_output_tokens, config_.kv.max_model_len - prompt_tokens});
}

void Session::submit(const RequestSpec& spec, bool predict_at_admission) {
  planner_.submit(spec, predict_at_admission);
}

StepPlan Session::plan() {
  StepPlan p = planner_.plan_step();
  if (!p.items.empty()) meter_.on_step(policy_->gauges());
  check("plan");
  return p;
}

std::vector<Completion> Session::commit(std::span<const RequestId> finished) {
  std::vector<Completion> done = planner_.commit_step(finished);
  for (const Completion& c : done) meter_.on_finish(c.final_tokens, c.held_slots);
  completed_ += static_cast<std::int64_t>(done.size());
  check("commit");
  return done;
}

bool Session::cancel(RequestId id) {
  const bool known = planner_.cancel(id);
  check("cancel");
  return known;
}

std::int64_t Session::reset_prefix_cache() {
  const std::int64_t freed = policy_->reset_prefix_cache();
  check("reset_prefix_cache");
  return freed;
}

SessionSummary Session::summary() const {
  SessionSummary s;
  s.kv_utilization = meter_.kv_utilization();
  s.capacity_usage = meter_.capacity_usage();
  s.reservation_efficiency = meter_.reservation_efficiency();
  s.mean_concurrency = meter_.mean_concurrency();
  s.steps = meter_.steps();
  s.completed = completed_;
  s.counters = policy_->counters();
  s.counters.failed_requests += planner_.failed();
  s.final_bucket_edges = policy_->bucket_edges();
  return s;
}

void Session::check(const char* after) const {
  if (!config_.validate) return;
  if (std::string bad = policy_->validate(); !bad.empty()) {
    throw Error("kv session: policy '" + config_.policy + "' broke an invariant after " + after +
                " (metered step " + std::to_string(meter_.steps()) + "): " + bad);
  }
}

}  // namespace odma::kv
