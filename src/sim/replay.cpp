#include "sim/replay.h"

namespace odma::sim {
namespace {

kv::SessionConfig with_policy(const ReplayOptions& options, const std::string& policy) {
  kv::SessionConfig c = options.session;
  c.policy = policy;
  return c;
}

// One token per request per step; with arrivals on, step k happens at k × step_seconds and steps
// with nothing to run are skipped (not planned, not metered).
ReplayResult run(TraceDriver& driver, const ReplayOptions& options) {
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
  ReplayResult r;
  static_cast<kv::SessionSummary&>(r) = driver.summary();
  r.policy = driver.policy_name();
  r.records = driver.records();
  return r;
}

}  // namespace

ReplayResult replay(const workload::Trace& trace,
                    const std::vector<kv::LengthPrediction>& predictions,
                    const std::string& policy_name, const ReplayOptions& options) {
  TraceDriver driver(trace, predictions, with_policy(options, policy_name));
  return run(driver, options);
}

ReplayResult replay(const workload::Trace& trace, predict::PredictorSource& source,
                    const std::string& policy_name, const ReplayOptions& options) {
  TraceDriver driver(trace, source, with_policy(options, policy_name));
  return run(driver, options);
}

}  // namespace odma::sim
