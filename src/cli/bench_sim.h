// `odma bench` → the simulator: a `cpu-local` device profile built from the bench's own
// measurements of the engine (not from synthetic probes), and the simulator's forecast of each
// end-to-end run, so model and engine can be read side by side.
//
// Profile (every figure's provenance goes into its "sources"):
//   bandwidth   sequential read of the largest attention case's KV arena (2 MiB pages, all
//               threads), measured just before its kernels
//   α(chunk)    engine attention GB/s ÷ bandwidth at the chunk each layout streams: 1-token pages
//               (head_dim × 4 B), 16-token pages, and a whole contiguous context (largest case)
//   flops       marginal matmul rate of decode: Δ(2 · params · batch) ÷ Δ(step time) between the
//               two largest batches of the decode curve (past the point where weights dominate)
//   overhead    batch-1 step − weight bytes ÷ bandwidth − its KV read at α(contiguous), ≥ 0: what
//               the roofline does not explain (thread joins, norms, sampling)
#pragma once

#include <string>
#include <vector>

#include "model/config.h"
#include "serve/bench_decode.h"
#include "serve/bench_e2e.h"
#include "serve/bench_kernels.h"
#include "sim/cost_model.h"
#include "sim/simulator.h"

namespace odma::cli {

// The engine's model as the simulator sees it: F32 weights and KV (dtype_bytes 4).
sim::ModelShape engine_shape(const model::ModelConfig& config, const std::string& name);

sim::DeviceProfile measured_cpu_profile(const serve::KernelBenchResult& kernels,
                                        const std::vector<serve::DecodePoint>& curve, int curve_ctx,
                                        const sim::ModelShape& shape);

// The simulator on exactly the run the engine served: trace, predictions, KV budget, model
// length, cap, planner defaults; offline runs have every arrival at 0.
sim::SimResult simulate_e2e(const serve::E2eRun& run, const std::string& policy,
                            const sim::CostModel& cost);

}  // namespace odma::cli
