// The loop `odma replay` and `odma simulate` share: a trace fed through kv::StepPlanner over one KV
// policy — submission by arrival, step planning, each request stopped at its true output length,
// and DESIGN.md's KV metrics sampled once per planned step. Callers own the clock: replay advances
// a fixed step length, the simulator a device cost model. Request ids are trace positions.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "kv/metrics.h"
#include "kv/planner.h"
#include "kv/policy.h"
#include "workload/trace.h"

namespace odma::sim {

struct DriverOptions {
  kv::PolicyConfig policy;
  kv::PlannerConfig planner;
  std::int32_t max_output_tokens = 2048;  // generation cap per request (static reserves it)
  bool validate_every_step = false;       // run the policy validator after each planned step (slow)
};

// KV-side results of a run (what `odma replay` reports).
struct KvRunSummary {
  double kv_utilization = 0;          // Σ stored ÷ Σ reserved over steps
  double capacity_usage = 0;          // Σ stored ÷ Σ capacity over steps
  double reservation_efficiency = 0;  // Σ final length ÷ Σ slots held at completion
  double mean_concurrency = 0;        // mean live requests per step
  std::int64_t steps = 0;             // planned steps
  std::int64_t completed = 0;
  kv::KvCounters counters;                       // the policy's, plus the planner's failed requests
  std::vector<std::int32_t> final_bucket_edges;  // odma/s3 size classes at the end
};

class TraceDriver {
 public:
  // Every request must carry a prediction (predictions.size() == trace.requests.size()). The trace
  // must stay alive while the driver does. Throws odma::Error on a size mismatch or bad config.
  TraceDriver(const workload::Trace& trace, const std::vector<kv::LengthPrediction>& predictions,
              const std::string& policy_name, const DriverOptions& options);

  // Submits, in trace order, every unsubmitted request with arrival_s <= now.
  void submit_until(double now);
  void submit_all() { submit_until(std::numeric_limits<double>::infinity()); }
  bool all_submitted() const { return next_ == trace_.requests.size(); }
  double next_arrival_s() const;  // of the next unsubmitted request (+inf when none)
  bool idle() const { return planner_.done(); }
  bool finished() const { return all_submitted() && idle(); }

  // Plans one step and samples the meter (occupancy during the step). Throws odma::Error if the
  // validator is on and finds a broken invariant.
  const kv::StepPlan& plan();
  // Commits the last plan: emitting requests that reached their true length stop. Returns the
  // completions, already recorded in the meter.
  const std::vector<kv::Completion>& commit();

  std::int32_t true_output_tokens(kv::RequestId id) const { return true_len_[id]; }
  const kv::Policy& policy() const { return *policy_; }
  const kv::StepPlanner& planner() const { return planner_; }
  const std::string& policy_name() const { return policy_name_; }
  KvRunSummary summary() const;

 private:
  const workload::Trace& trace_;
  const std::vector<kv::LengthPrediction>& predictions_;
  std::string policy_name_;
  DriverOptions options_;
  std::unique_ptr<kv::Policy> policy_;
  kv::StepPlanner planner_;
  kv::UtilizationMeter meter_;
  std::vector<std::int32_t> true_len_;
  std::size_t next_ = 0;
  std::int64_t completed_ = 0;
  kv::StepPlan plan_;
  std::vector<kv::RequestId> finished_;
  std::vector<kv::Completion> completions_;
};

}  // namespace odma::sim
