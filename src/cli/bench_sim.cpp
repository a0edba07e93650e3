#include "cli/bench_sim.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "base/error.h"

namespace odma::cli {
namespace {

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

std::string gbps(double bytes_per_s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GB/s", bytes_per_s / 1e9);
  return buf;
}

}  // namespace

sim::ModelShape engine_shape(const model::ModelConfig& c, const std::string& name) {
  sim::ModelShape s;
  s.name = name;
  s.hidden = c.hidden_size;
  s.layers = c.num_layers;
  s.heads = c.num_heads;
  s.kv_heads = c.num_kv_heads;
  s.head_dim = c.head_dim;
  s.intermediate = c.intermediate_size;
  s.vocab = c.vocab_size;
  s.dtype_bytes = 4;  // the engine computes and stores K/V in F32
  s.tied_embeddings = c.tie_word_embeddings;
  s.qkv_bias = c.attention_bias;
  s.max_position_embeddings = c.max_position_embeddings;
  return s;
}

sim::DeviceProfile measured_cpu_profile(const serve::KernelBenchResult& k,
                                        const std::vector<serve::DecodePoint>& curve, int curve_ctx,
                                        const sim::ModelShape& shape) {
  if (k.cases.empty() || curve.size() < 2) {
    throw Error("bench: a measured profile needs kernel cases and at least two decode points");
  }
  const std::string when = utc_now();
  const serve::KernelCase& big = k.cases.back();  // largest batch × context: steadiest figures
  const double bw = big.read_gbps * 1e9;          // its own arena's read: α is relative to it
  const double plane = static_cast<double>(shape.plane_bytes_per_token());
  std::vector<sim::AlphaPoint> alpha = {{plane, big.paged1_gbps * 1e9 / bw},
                                        {16 * plane, big.paged16_gbps * 1e9 / bw},
                                        {big.ctx * plane, big.contiguous_gbps * 1e9 / bw}};
  double running = 0.0;
  for (auto& a : alpha) a.alpha = running = std::clamp(std::max(running, a.alpha), 1e-3, 1.0);

  const double flops_per_token =
      2.0 * static_cast<double>(shape.body_params() + shape.head_params());
  const serve::DecodePoint& a = curve[curve.size() - 2];
  const serve::DecodePoint& b = curve.back();
  double flops = (b.batch - a.batch) * flops_per_token / std::max(1e-9, b.step_s - a.step_s);
  if (!(flops > 0) || b.step_s <= a.step_s) flops = b.batch * flops_per_token / b.step_s;

  const double kv_bytes =
      static_cast<double>(curve_ctx + 1) * static_cast<double>(shape.kv_bytes_per_token());
  const double explained = shape.weight_read_bytes() / bw + kv_bytes / (bw * alpha.back().alpha);
  const double overhead = std::max(0.0, curve.front().step_s - explained);

  sim::DeviceProfile p;
  p.name = "cpu-local";
  p.description =
      "this machine, from the engine's own kernels and decode steps (`odma bench "
      "--write-profile`), " +
      when;
  p.memory_bytes =
      static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
  p.bandwidth_bytes_per_s = bw;
  p.flops_per_s = flops;
  p.step_overhead_s = overhead;
  p.reserved_memory_fraction = 0.2;
  p.alpha_curve = alpha;
  const std::string tag = " — `odma bench`, " + when;
  p.sources["bandwidth_bytes_per_s"] =
      "sequential read of the KV arena of the largest attention case (2 MiB pages, all "
      "threads: " +
      gbps(bw) + ")" + tag;
  p.sources["alpha_curve"] = "engine decode attention GB/s ÷ bandwidth at batch " +
                             std::to_string(big.batch) + ", context " + std::to_string(big.ctx) +
                             ": 1-token pages " + gbps(big.paged1_gbps * 1e9) +
                             ", 16-token pages " + gbps(big.paged16_gbps * 1e9) + ", contiguous " +
                             gbps(big.contiguous_gbps * 1e9) + "; made monotone" + tag;
  p.sources["flops_per_s"] = "marginal decode matmul rate between batch " +
                             std::to_string(a.batch) + " and " + std::to_string(b.batch) +
                             " of the engine's forward pass (OpenBLAS / own GEMV, F32)" + tag;
  p.sources["step_overhead_s"] =
      "batch-1 decode step minus its roofline (weights ÷ bandwidth + KV ÷ (α·bandwidth))" + tag;
  p.sources["memory_bytes"] = "sysconf(_SC_PHYS_PAGES) × page size" + tag;
  p.sources["reserved_memory_fraction"] = "assumed 20% for the OS and other processes";
  sim::validate_device_profile(p, "bench measurements");
  return p;
}

sim::SimResult simulate_e2e(const serve::E2eRun& run, const std::string& policy,
                            const sim::CostModel& cost) {
  sim::SimOptions o;
  o.sample_every = 0;
  o.driver.policy.capacity_tokens = run.capacity;
  o.driver.policy.max_model_len = run.max_model_len;
  o.driver.policy.s3_max_output = run.max_tokens;
  o.driver.policy.odma.max_extents = run.odma_max_extents;
  o.driver.max_output_tokens = run.max_tokens;
  predict::Trace trace = run.trace;
  if (run.offline)
    for (auto& r : trace.requests) r.arrival_s = 0.0;
  return sim::simulate(trace, run.predictions, policy, cost, o);
}

}  // namespace odma::cli
