// What `odma simulate` prints and writes: a Markdown table per workload × policy (with TPS ratios
// vs static and paged), the JSON results file, and the SVG timeline plot.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/simulator.h"
#include "sim/svg_plot.h"

namespace odma::sim {

// Every policy's result on one workload, in one run (same trace, model, device and memory budget).
struct WorkloadRun {
  std::string workload;
  std::string device;
  std::string model_shape;
  std::int64_t requests = 0;
  std::int64_t capacity_tokens = 0;
  std::vector<SimResult> results;  // one per policy, in --policies order

  const SimResult* find(const std::string& policy) const;
};

// The Markdown table (latencies in ms for TPOT, s for TTFT).
std::string results_table(const WorkloadRun& run);

// {"results": [{"workload", "device", "policy", "kv_utilization", "capacity_usage",
//   "reservation_efficiency", "tps", "rps", "ttft_p99_s", "tpot_p99_s", "migrations",
//   "preemptions", "failed_requests", ... more fields}]}
nlohmann::json results_json(const std::vector<WorkloadRun>& runs);

// Per workload: KV utilization over time per policy, then odma's (else s3's) bucket edges over
// time, one line per edge.
std::vector<PlotPanel> timeline_panels(const WorkloadRun& run);

}  // namespace odma::sim
