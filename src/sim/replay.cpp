#include "sim/replay.h"

#include "base/error.h"
#include "sim/trace_driver.h"

namespace odma::sim {

// One token per request per step; with arrivals on, step k happens at k × step_seconds and steps
// with nothing to run are skipped (not planned, not metered).
ReplayResult replay(const workload::Trace& trace,
                    const std::vector<kv::LengthPrediction>& predictions,
                    const std::string& policy_name, const ReplayOptions& options) {
  DriverOptions d{options.policy, options.planner, options.max_output_tokens,
                  options.validate_every_step};
  TraceDriver driver(trace, predictions, policy_name, d);
  for (std::int64_t step = 0;; ++step) {
    if (options.use_arrivals) {
      driver.submit_until(static_cast<double>(step) * options.step_seconds);
    } else {
      driver.submit_all();
    }
    if (driver.idle()) {
      if (driver.all_submitted()) break;
      continue;  // idle until the next arrival
    }
    (void)driver.plan();
    (void)driver.commit();
  }

  KvRunSummary s = driver.summary();
  ReplayResult r;
  r.policy = policy_name;
  r.kv_utilization = s.kv_utilization;
  r.capacity_usage = s.capacity_usage;
  r.reservation_efficiency = s.reservation_efficiency;
  r.mean_concurrency = s.mean_concurrency;
  r.steps = s.steps;
  r.completed = s.completed;
  r.counters = s.counters;
  r.final_bucket_edges = s.final_bucket_edges;
  return r;
}

}  // namespace odma::sim
