// Small devices and shapes whose step times have closed forms.
#pragma once

#include "sim/device_profile.h"
#include "sim/model_shape.h"

namespace odma::sim::testing {

// hidden 64, 2 layers, 4 heads, 2 KV heads, head_dim 16, bf16: KV 2·2·2·16·2 = 256 B/token.
inline ModelShape tiny_shape() {
  ModelShape s;
  s.name = "tiny";
  s.hidden = 64;
  s.layers = 2;
  s.heads = 4;
  s.kv_heads = 2;
  s.head_dim = 16;
  s.intermediate = 128;
  s.vocab = 100;
  s.dtype_bytes = 2;
  return s;
}

// A device with α ≡ 1 unless a curve is given.
inline DeviceProfile device(double bandwidth, double flops, double overhead,
                            std::vector<AlphaPoint> curve = {{64, 1.0}}) {
  DeviceProfile d;
  d.name = "test-device";
  d.memory_bytes = 1e12;
  d.bandwidth_bytes_per_s = bandwidth;
  d.flops_per_s = flops;
  d.step_overhead_s = overhead;
  d.alpha_curve = std::move(curve);
  validate_device_profile(d, "test");
  return d;
}

}  // namespace odma::sim::testing
