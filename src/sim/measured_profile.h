// A device profile from measurements of a real engine on this machine (what `odma bench
// --write-profile` feeds back into `cpu-local`), instead of synthetic probes.
//
//   bandwidth   read_bytes_per_s: a sequential read of the very memory the kernels streamed
//   α(chunk)    attention kernel bytes/s at that chunk ÷ bandwidth, made monotone, in (0, 1]
//   flops       marginal rate of the decode curve's two largest batches:
//               Δbatch · 2 · (body + head params) ÷ Δstep   (the whole-step rate if Δstep ≤ 0)
//   overhead    step(batch 1) − weight_read_bytes ÷ BW − (ctx + 1) · kv_bytes ÷ (α_max · BW), ≥ 0:
//               what the roofline does not explain at batch 1 (joins, norms, sampling)
#pragma once

#include <string>
#include <vector>

#include "sim/device_profile.h"
#include "sim/model_shape.h"

namespace odma::sim {

struct KernelRate {
  double chunk_bytes = 0;  // contiguous bytes the layout streams per (layer, K/V, head) run
  double bytes_per_s = 0;  // what the attention kernel achieved there
};

struct DecodeStep {
  int batch = 0;
  double seconds = 0;  // one decode step of `batch` tokens at context decode_ctx
};

struct MeasuredFigures {
  double read_bytes_per_s = 0;
  std::vector<KernelRate> kernel_rates;  // ascending chunk_bytes
  std::vector<DecodeStep> decode_steps;  // ascending batch, ≥ 2 points
  int decode_ctx = 0;
  double memory_bytes = 0;
  std::string provenance;  // appended to every source, e.g. "`odma bench`, 2026-11-28 00:30 UTC"
};

// Throws odma::Error if the figures cannot make a valid profile (no kernel rates, < 2 decode
// points, non-positive rates or times).
DeviceProfile measured_profile(const MeasuredFigures& figures, const ModelShape& shape);

}  // namespace odma::sim
