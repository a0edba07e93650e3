// `odma bench` → the simulator: a `cpu-local` device profile built from the bench's own
// measurements of the engine (not from synthetic probes), and the simulator's forecast of each
// end-to-end run, so model and engine can be read side by side.
//
// The profile's formulas live in sim/measured_profile.h; here the bench's figures are mapped onto
// them: the largest attention case (its arena read, 1-token pages = head_dim × 4 B runs, 16-token
// pages, one contiguous context) and the decode curve.
#pragma once

#include <string>
#include <vector>

#include "bench/decode_curve.h"
#include "bench/e2e.h"
#include "bench/kernels.h"
#include "model/config.h"
#include "sim/cost_model.h"
#include "sim/measured_profile.h"
#include "sim/simulator.h"

namespace odma::bench {

// The engine's model as the simulator sees it: weights and K/V in the dtypes it holds them in
// (INT8 weights: 1 byte a value; INT8 K/V: 1 byte a value + an F32 scale a row).
sim::ModelShape engine_shape(const model::ModelConfig& config, const std::string& name,
                             model::DType weights = model::DType::kF32,
                             model::DType kv = model::DType::kF32);

sim::DeviceProfile measured_cpu_profile(const KernelBenchResult& kernels,
                                        const std::vector<DecodePoint>& curve, int curve_ctx,
                                        const sim::ModelShape& shape);

// The simulator on exactly the run the engine served: trace, predictions, KV budget, model
// length, cap, planner defaults; offline runs have every arrival at 0.
sim::SimResult simulate_e2e(const E2eRun& run, const std::string& policy,
                            const sim::CostModel& cost);

}  // namespace odma::bench
