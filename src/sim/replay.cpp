#include "sim/replay.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "kv/metrics.h"

namespace odma::sim {

ReplayResult replay(const predict::Trace& trace, const std::vector<kv::LengthPrediction>& predictions,
                    const std::string& policy_name, const ReplayOptions& options) {
  if (predictions.size() != trace.requests.size()) {
    throw Error("replay: " + std::to_string(predictions.size()) + " predictions for " +
                std::to_string(trace.requests.size()) + " requests");
  }
  auto policy = kv::make_policy(policy_name, options.policy);
  kv::StepPlanner planner(*policy, options.planner);
  kv::UtilizationMeter meter;

  // Requests are identified by their trace position; the true length decides when each stops.
  std::vector<std::int32_t> true_len(trace.requests.size());
  std::size_t next = 0;
  std::int64_t completed = 0;
  std::vector<kv::RequestId> finished;
  for (std::int64_t step = 0;; ++step) {
    double now = static_cast<double>(step) * options.step_seconds;
    while (next < trace.requests.size() &&
           (!options.use_arrivals || trace.requests[next].arrival_s <= now)) {
      const auto& t = trace.requests[next];
      kv::RequestSpec spec;
      spec.id = next;
      spec.prompt_tokens = std::max(1, t.prompt_tokens);
      spec.max_output_tokens = options.max_output_tokens;
      spec.prediction = predictions[next];
      spec.prediction.true_output_tokens = std::clamp(t.output_tokens, 1, options.max_output_tokens);
      true_len[next] = spec.prediction.true_output_tokens;
      planner.submit(spec);
      ++next;
    }
    if (planner.done()) {
      if (next == trace.requests.size()) break;
      continue;  // idle until the next arrival
    }
    kv::StepPlan plan = planner.plan_step();
    meter.on_step(policy->gauges());
    if (options.validate_every_step) {
      if (std::string v = policy->validate(); !v.empty()) {
        throw Error("replay: policy " + policy_name + " broke an invariant at step " +
                    std::to_string(step) + ": " + v);
      }
    }
    finished.clear();
    for (const kv::WorkItem& w : plan.items) {
      if (w.emits_token && planner.generated(w.id) + 1 >= true_len[w.id]) finished.push_back(w.id);
    }
    for (const kv::Completion& c : planner.commit_step(finished)) {
      meter.on_finish(c.final_tokens, c.held_slots);
      ++completed;
    }
  }

  ReplayResult r;
  r.policy = policy_name;
  r.kv_utilization = meter.kv_utilization();
  r.capacity_usage = meter.capacity_usage();
  r.reservation_efficiency = meter.reservation_efficiency();
  r.mean_concurrency = meter.mean_concurrency();
  r.steps = meter.steps();
  r.completed = completed;
  r.counters = policy->counters();
  r.counters.failed_requests += planner.failed();
  r.final_bucket_edges = policy->bucket_edges();
  return r;
}

}  // namespace odma::sim
