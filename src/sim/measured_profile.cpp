#include "sim/measured_profile.h"

#include <algorithm>
#include <cstdio>

#include "base/error.h"

namespace odma::sim {
namespace {

std::string gbps(double bytes_per_s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GB/s", bytes_per_s / 1e9);
  return buf;
}

}  // namespace

DeviceProfile measured_profile(const MeasuredFigures& f, const ModelShape& shape) {
  if (!(f.read_bytes_per_s > 0)) throw Error("measured profile: read bandwidth must be > 0");
  if (f.kernel_rates.empty()) throw Error("measured profile: no attention kernel rates");
  if (f.decode_steps.size() < 2) throw Error("measured profile: needs >= 2 decode steps");
  for (const auto& r : f.kernel_rates) {
    if (!(r.chunk_bytes > 0) || !(r.bytes_per_s > 0))
      throw Error("measured profile: kernel rates need chunk_bytes > 0 and bytes/s > 0");
  }
  for (const auto& s : f.decode_steps) {
    if (s.batch < 1 || !(s.seconds > 0))
      throw Error("measured profile: decode steps need batch >= 1 and seconds > 0");
  }
  const double bw = f.read_bytes_per_s;

  DeviceProfile p;
  double running = 0.0;
  std::string rates;
  for (const auto& r : f.kernel_rates) {
    running = std::clamp(std::max(running, r.bytes_per_s / bw), 1e-3, 1.0);
    p.alpha_curve.push_back({r.chunk_bytes, running});
    rates += (rates.empty() ? "" : ", ") + std::to_string(static_cast<long long>(r.chunk_bytes)) +
             " B runs " + gbps(r.bytes_per_s);
  }

  const double flops_per_token =
      2.0 * static_cast<double>(shape.body_params() + shape.head_params());
  const DecodeStep& a = f.decode_steps[f.decode_steps.size() - 2];
  const DecodeStep& b = f.decode_steps.back();
  p.flops_per_s = b.seconds > a.seconds && b.batch > a.batch
                      ? (b.batch - a.batch) * flops_per_token / (b.seconds - a.seconds)
                      : b.batch * flops_per_token / b.seconds;

  const double kv_bytes =
      static_cast<double>(f.decode_ctx + 1) * static_cast<double>(shape.kv_bytes_per_token());
  const double roofline =
      shape.weight_read_bytes() / bw + kv_bytes / (p.alpha_curve.back().alpha * bw);
  p.step_overhead_s = std::max(0.0, f.decode_steps.front().seconds - roofline);

  p.name = "cpu-local";
  p.description = "this machine, measured through the engine's own kernels and decode steps (" +
                  f.provenance + ")";
  p.memory_bytes = f.memory_bytes;
  p.bandwidth_bytes_per_s = bw;
  p.reserved_memory_fraction = 0.2;
  const std::string tag = " — " + f.provenance;
  p.sources["bandwidth_bytes_per_s"] =
      "sequential read of the memory the attention kernels streamed (" + gbps(bw) + ")" + tag;
  p.sources["alpha_curve"] =
      "engine decode-attention rate ÷ bandwidth (" + rates + "), made monotone" + tag;
  p.sources["flops_per_s"] = "marginal matmul rate of decode between batch " +
                             std::to_string(a.batch) + " and " + std::to_string(b.batch) + tag;
  p.sources["step_overhead_s"] =
      "batch-1 decode step minus its roofline (weights ÷ BW + KV ÷ (α·BW))" + tag;
  p.sources["memory_bytes"] = "sysconf(_SC_PHYS_PAGES) × page size" + tag;
  p.sources["reserved_memory_fraction"] = "assumed 20% for the OS and other processes";
  validate_device_profile(p, "measured profile");
  return p;
}

}  // namespace odma::sim
