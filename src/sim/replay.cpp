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

ReservationQuality reservation_quality(const ReplayResult& r) {
  ReservationQuality q;
  if (r.records.empty()) return q;
  std::int64_t under = 0, held = 0, final_tokens = 0;
  for (const CompletionRecord& c : r.records) {
    under += c.actual > c.predicted;
    held += c.held_slots;
    final_tokens += c.final_tokens;
  }
  const auto n = static_cast<double>(r.records.size());
  q.under_reserved = static_cast<double>(under) / n;
  q.reserved_over_actual =
      final_tokens > 0 ? static_cast<double>(held) / static_cast<double>(final_tokens) : 0.0;
  q.migrations_per_request = static_cast<double>(r.counters.migrations) / n;
  q.copied_tokens_per_request = static_cast<double>(r.counters.copied_tokens) / n;
  return q;
}

}  // namespace odma::sim
