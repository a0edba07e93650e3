#include "bench/simulated.h"

#include <unistd.h>

#include "base/error.h"

namespace odma::bench {

sim::ModelShape engine_shape(const model::ModelConfig& c, const std::string& name,
                             model::DType weights, model::DType kv) {
  // dtype_bytes is the K/V's (BF16 or F32); the weights' bytes are told apart when they differ.
  sim::ModelShape s = sim::shape_of(
      c, name, kv == model::DType::kI8 ? 2 : static_cast<std::int64_t>(model::element_size(kv)));
  s.int8_kv = kv == model::DType::kI8;
  const auto w = static_cast<std::int64_t>(model::element_size(weights));
  if (w != s.dtype_bytes) s.quantized_weight_bytes = w;
  return s;
}

sim::DeviceProfile measured_cpu_profile(const KernelBenchResult& k,
                                        const std::vector<DecodePoint>& curve, int curve_ctx,
                                        const sim::ModelShape& shape) {
  if (k.cases.empty()) throw Error("bench: a measured profile needs the kernel cases");
  const KernelCase& big = k.cases.back();  // largest batch × context: steadiest figures
  const double plane = static_cast<double>(shape.plane_bytes_per_token());
  sim::MeasuredFigures f;
  f.read_bytes_per_s = big.read_gbps * 1e9;  // its own arena's read: α is relative to it
  f.kernel_rates = {{plane, big.paged1_gbps * 1e9},
                    {16 * plane, big.paged16_gbps * 1e9},
                    {big.ctx * plane, big.contiguous_gbps * 1e9}};
  for (const auto& pt : curve) f.decode_steps.push_back({pt.batch, pt.step_s});
  f.decode_ctx = curve_ctx;
  f.memory_bytes =
      static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
  f.provenance = "`odma bench`, batch " + std::to_string(big.batch) + " × context " +
                 std::to_string(big.ctx) + " attention, " + sim::profile_timestamp();
  return sim::measured_profile(f, shape);
}

sim::SimResult simulate_e2e(const E2eRun& run, const std::string& policy,
                            const sim::CostModel& cost) {
  const BenchPolicy bp = parse_bench_policy(policy);
  sim::SimOptions o;
  o.sample_every = 0;
  o.session.kv.block_tokens = bp.block_tokens;
  o.session.kv.prefix_caching = bp.prefix_caching;
  o.session.kv.capacity_tokens = run.capacity;
  o.session.kv.max_model_len = run.max_model_len;
  o.session.kv.odma.max_extents = run.odma_max_extents;
  o.session.kv.odma.growth = bp.growth;
  o.session.max_output_tokens = run.max_tokens;
  workload::Trace trace = run.trace;
  if (run.offline)
    for (auto& r : trace.requests) r.arrival_s = 0.0;
  return sim::simulate(trace, run.predictions, bp.policy, cost, o);
}

}  // namespace odma::bench
