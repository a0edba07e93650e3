#include "sim/trace_driver.h"

#include <algorithm>

#include "base/error.h"

namespace odma::sim {

namespace {

std::unique_ptr<kv::Policy> checked_policy(const workload::Trace& trace,
                                           const std::vector<kv::LengthPrediction>& predictions,
                                           const std::string& name,
                                           const kv::PolicyConfig& config) {
  if (predictions.size() != trace.requests.size()) {
    throw Error("replay: " + std::to_string(predictions.size()) + " predictions for " +
                std::to_string(trace.requests.size()) + " requests");
  }
  return kv::make_policy(name, config);
}

}  // namespace

TraceDriver::TraceDriver(const workload::Trace& trace,
                         const std::vector<kv::LengthPrediction>& predictions,
                         const std::string& policy_name, const DriverOptions& options)
    : trace_(trace),
      predictions_(predictions),
      policy_name_(policy_name),
      options_(options),
      policy_(checked_policy(trace, predictions, policy_name, options.policy)),
      planner_(*policy_, options.planner),
      true_len_(trace.requests.size(), 0) {}

double TraceDriver::next_arrival_s() const {
  return all_submitted() ? std::numeric_limits<double>::infinity()
                         : trace_.requests[next_].arrival_s;
}

void TraceDriver::submit_until(double now) {
  while (next_ < trace_.requests.size() && trace_.requests[next_].arrival_s <= now) {
    const auto& t = trace_.requests[next_];
    kv::RequestSpec spec;
    spec.id = next_;
    spec.prompt_tokens = std::max(1, t.prompt_tokens);
    spec.max_output_tokens = options_.max_output_tokens;
    spec.prediction = predictions_[next_];
    spec.prediction.true_output_tokens = std::clamp(t.output_tokens, 1, options_.max_output_tokens);
    true_len_[next_] = spec.prediction.true_output_tokens;
    planner_.submit(spec);
    ++next_;
  }
}

const kv::StepPlan& TraceDriver::plan() {
  plan_ = planner_.plan_step();
  meter_.on_step(policy_->gauges());
  if (options_.validate_every_step) {
    if (std::string v = policy_->validate(); !v.empty()) {
      throw Error("replay: policy " + policy_name_ + " broke an invariant at step " +
                  std::to_string(meter_.steps() - 1) + ": " + v);
    }
  }
  return plan_;
}

const std::vector<kv::Completion>& TraceDriver::commit() {
  finished_.clear();
  for (const kv::WorkItem& w : plan_.items) {
    if (w.emits_token && planner_.generated(w.id) + 1 >= true_len_[w.id]) finished_.push_back(w.id);
  }
  completions_ = planner_.commit_step(finished_);
  for (const kv::Completion& c : completions_) {
    meter_.on_finish(c.final_tokens, c.held_slots);
    ++completed_;
  }
  return completions_;
}

KvRunSummary TraceDriver::summary() const {
  KvRunSummary s;
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

}  // namespace odma::sim
