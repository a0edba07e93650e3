// `odma simulate`: the replay loop (TraceDriver — the same planner and the same KV policies as the
// engine) with a clock driven by a device cost model. Discrete-event: time jumps by one step's
// modelled length while work is running, and to the next arrival while idle.
//
// Timing definitions (DESIGN.md, vLLM's benchmark):
//   TTFT  = time the request's first output token is sampled − its arrival
//   TPOT  = (latency − TTFT) ÷ (output_tokens − 1)       (requests with ≥ 2 output tokens)
//   TPS   = Σ output tokens of completed requests ÷ makespan;  RPS = completed ÷ makespan
//   makespan = time the last request completes (the trace starts at t = 0)
// A token counts as emitted at the end of the step that sampled it. Preempted requests recompute
// their prefix (the planner re-prefills); recomputed tokens cost time but are not output again.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/quantiles.h"
#include "sim/cost_model.h"
#include "sim/trace_driver.h"
#include "workload/trace.h"

namespace odma::sim {

struct SimOptions {
  kv::SessionConfig session;       // policy, KV budget, planner, generation cap, validation
  std::int32_t sample_every = 16;  // steps between timeline samples (plots); 0 = no timeline
};

struct TimelineSample {
  double time_s = 0;
  double kv_utilization = 0;  // used ÷ reserved at this step
  double capacity_usage = 0;  // used ÷ capacity at this step
  std::int64_t live_requests = 0;
  std::vector<std::int32_t> bucket_edges;  // policy->bucket_edges() (odma, s3)
};

struct SimResult {
  std::string policy;
  kv::SessionSummary kv;  // utilization, efficiency, counters (as `odma replay`)
  double makespan_s = 0;
  double tps = 0;         // output tokens / s
  double rps = 0;         // completed requests / s
  double mean_batch = 0;  // requests computed per step (decodes + prefill chunks)
  double mean_step_s = 0;
  std::int64_t output_tokens = 0;             // Σ output tokens of completed requests
  double copy_s = 0;                          // Σ copy time (migrations, compaction)
  double attention_s = 0;                     // Σ attention-phase time
  double linear_s = 0;                        // Σ linear-phase time
  QuantileSummary ttft_s, tpot_s, latency_s;  // base/quantiles.h (numpy's percentiles)
  std::vector<TimelineSample> timeline;
};

// Simulates `policy_name` on `trace` (arrival_s as given; see workload/workload.h to set them)
// with one precomputed prediction per request. Throws odma::Error on bad input.
SimResult simulate(const workload::Trace& trace,
                   const std::vector<kv::LengthPrediction>& predictions,
                   const std::string& policy_name, const CostModel& cost,
                   const SimOptions& options);

// Online: `source` predicts each request at its arrival and observes every completion.
SimResult simulate(const workload::Trace& trace, predict::PredictorSource& source,
                   const std::string& policy_name, const CostModel& cost,
                   const SimOptions& options);

}  // namespace odma::sim
