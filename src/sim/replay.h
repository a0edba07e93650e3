// `odma replay`: a length trace through one KV policy at a fixed capacity, with no model and no
// cost model — one token per request per step — to compare how policies reserve memory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kv/session.h"
#include "predict/predictor_source.h"
#include "sim/trace_driver.h"
#include "workload/trace.h"

namespace odma::sim {

struct ReplayOptions {
  kv::SessionConfig session;   // policy, KV budget, planner, generation cap, validation
  bool use_arrivals = false;   // submit by arrival_s (else everything at t = 0)
  double step_seconds = 0.02;  // nominal step length that maps arrival_s to steps
};

struct ReplayResult {
  std::string policy;
  double kv_utilization = 0;          // Σ stored ÷ Σ reserved over steps
  double capacity_usage = 0;          // Σ stored ÷ Σ capacity over steps
  double reservation_efficiency = 0;  // Σ final length ÷ Σ slots held at completion
  double mean_concurrency = 0;        // mean live requests per step
  std::int64_t steps = 0;
  std::int64_t completed = 0;
  kv::KvCounters counters;  // overflows, migrations, preemptions, failed_requests, ...
  std::vector<std::int32_t> final_bucket_edges;  // odma/s3 size classes at the end
  std::vector<CompletionRecord> records;         // every completion, in completion order
};

// Precomputed predictions, one per request (predictions.size() == trace.requests.size()).
// `options.session.policy` is replaced by `policy_name`. Throws odma::Error on bad options or if
// the validator finds a broken invariant.
ReplayResult replay(const workload::Trace& trace,
                    const std::vector<kv::LengthPrediction>& predictions,
                    const std::string& policy_name, const ReplayOptions& options);

// Online: `source` predicts each request when it is submitted and observes every completion.
ReplayResult replay(const workload::Trace& trace, predict::PredictorSource& source,
                    const std::string& policy_name, const ReplayOptions& options);

}  // namespace odma::sim
