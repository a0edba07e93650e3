// The loop `odma replay` and `odma simulate` share: a trace fed through the session core
// (kv/session.h: the same policy, planner and meter as the engine) — submission by arrival, step
// planning, each request stopped at its true output length. Callers own the clock: replay advances
// a fixed step length, the simulator a device cost model. Request ids are trace positions.
//
// Predictions come one of two ways:
//   precomputed  one per trace request, made before the run (a replay then sees every prediction
//                before any completion: the predictor cannot adapt)
//   online       a predict::PredictorSource asked when the request is first admitted, and told
//                every completion (observe), so its predictions follow the lengths it has seen —
//                the serving engine's behaviour (serve/engine.h); when odma's bucket drift
//                detector fires (kv::drift_detections) the source is told (notify_drift) before
//                it observes that step's completions
#pragma once

#include <cstdint>
#include <limits>
#include <unordered_map>
#include <vector>

#include "kv/session.h"
#include "predict/predictor_source.h"
#include "workload/trace.h"

namespace odma::sim {

// One completed request, as the adaptation report reads it.
struct CompletionRecord {
  kv::RequestId id = 0;
  std::int32_t predicted = 0;     // the prediction's output_tokens (what was reserved for)
  std::int32_t actual = 0;        // output tokens generated (the true length)
  std::int64_t final_tokens = 0;  // prompt + output
  std::int64_t held_slots = 0;    // slots held at completion
  // The policy's running totals when this request completed (windows take differences).
  std::int64_t overflows_total = 0, grow_in_place_total = 0, migrations_total = 0;
  std::int64_t failed_total = 0;  // requests the planner failed so far
};

class TraceDriver {
 public:
  // `predictions.size()` must equal the trace's request count. The trace (and the predictions or
  // source) must outlive the driver. Throws odma::Error on a size mismatch or a bad config.
  TraceDriver(const workload::Trace& trace, const std::vector<kv::LengthPrediction>& predictions,
              const kv::SessionConfig& config);
  TraceDriver(const workload::Trace& trace, predict::PredictorSource& online,
              const kv::SessionConfig& config);

  // Submits, in trace order, every unsubmitted request with arrival_s <= now.
  void submit_until(double now);
  void submit_all() { submit_until(std::numeric_limits<double>::infinity()); }
  bool all_submitted() const { return next_ == trace_.requests.size(); }
  double next_arrival_s() const;  // of the next unsubmitted request (+inf when none)
  bool idle() const { return session_.idle(); }
  bool finished() const { return all_submitted() && idle(); }

  // Plans one step (metered when it has work; validated when the session validates).
  const kv::StepPlan& plan();
  // Commits the last plan: emitting requests that reached their true length stop. Returns the
  // completions (metered; observed by an online source).
  const std::vector<kv::Completion>& commit();

  std::int32_t true_output_tokens(kv::RequestId id) const { return true_len_[id]; }
  const kv::Session& session() const { return session_; }
  const kv::Policy& policy() const { return session_.policy(); }
  const std::string& policy_name() const { return session_.config().policy; }
  // Every completion so far, in completion order.
  const std::vector<CompletionRecord>& records() const { return records_; }
  kv::SessionSummary summary() const { return session_.summary(); }

 private:
  TraceDriver(const workload::Trace& trace, const std::vector<kv::LengthPrediction>* predictions,
              predict::PredictorSource* online, const kv::SessionConfig& config);

  const workload::Trace& trace_;
  // Prompt token ids synthesised from the prefix blocks (workload/prefix_blocks.h) of requests
  // in flight, so that the policies' prefix caching sees what the trace shares; node-based, so
  // the pointers the KV layer holds stay valid.
  std::unordered_map<kv::RequestId, std::vector<std::int32_t>> tokens_;
  const std::vector<kv::LengthPrediction>* precomputed_;  // exactly one of these two is set
  predict::PredictorSource* online_;
  kv::Session session_;
  std::vector<std::int32_t> true_len_;
  std::vector<std::int32_t> caps_;  // each request's generation cap
  std::size_t next_ = 0;
  kv::StepPlan plan_;
  std::vector<kv::RequestId> finished_;
  std::vector<kv::Completion> completions_;
  std::vector<CompletionRecord> records_;
  std::int64_t drifts_relayed_ = 0;  // kv::drift_detections passed on to the online source
};

}  // namespace odma::sim
