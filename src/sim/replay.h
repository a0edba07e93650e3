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
  kv::SessionConfig session;     // policy, KV budget, planner, generation cap, validation
  bool use_arrivals = false;     // submit by arrival_s (else everything at t = 0)
  double step_seconds = 0.02;    // nominal step length that maps arrival_s to steps
  predict::OnlineConfig online;  // rates of the online predictors (--online-rates, --drift-boost)
};

// The session's summary (utilization, efficiency, counters incl. failed requests, final bucket
// edges) plus what a replay adds.
struct ReplayResult : kv::SessionSummary {
  std::string policy;
  std::vector<CompletionRecord> records;  // every completion, in completion order
};

// What the issue of reservations is about, per completed request: how often the first
// reservation was too small and what overflowing cost.
struct ReservationQuality {
  double under_reserved = 0;        // share of completions longer than their prediction
  double reserved_over_actual = 0;  // Σ slots held at completion ÷ Σ final tokens
  double migrations_per_request = 0;
  double copied_tokens_per_request = 0;  // migrations' and compaction's copies
};
ReservationQuality reservation_quality(const ReplayResult& r);

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
