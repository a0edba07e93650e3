// Device profiles for the simulator: the few figures of an accelerator that decide serving speed.
//
// Glossary:
//   bandwidth   sequential read bandwidth of device memory, bytes/s (what a contiguous KV run
//   streams at) α(chunk)    random-access efficiency = bandwidth reading independent chunks of
//   `chunk` bytes at
//               random places ÷ sequential bandwidth. 1 = indistinguishable from sequential. Given
//               as points (chunk_bytes → α), interpolated linearly in log2(chunk_bytes), clamped at
//               the ends.
//   flops       achievable dense bf16/fp16 matmul rate, FLOP/s
//   overhead    fixed cost of one scheduler step (launches, sampling, host work), seconds
//   reserved    fraction of device memory unusable for weights + KV (runtime, activations,
//   workspace)
//
// File format (data/devices/<name>.json): every figure carries its provenance in "sources":
//   {"name": "...", "description": "...", "memory_bytes": N, "bandwidth_bytes_per_s": N,
//    "flops_per_s": N, "step_overhead_s": N, "reserved_memory_fraction": N,
//    "alpha_curve": [{"chunk_bytes": N, "alpha": N}, ...], "sources": {"<field>": "<where from>"}}
// Invariants (checked at load, odma::Error naming the file and field): memory, bandwidth, flops >
// 0; overhead ≥ 0; 0 ≤ reserved < 1; ≥ 1 α point; chunk_bytes > 0 and strictly increasing; α ∈ (0,
// 1] and non-decreasing in chunk_bytes (a bigger chunk is never harder to stream).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace odma::sim {

struct AlphaPoint {
  double chunk_bytes = 0;  // contiguous bytes read per random access
  double alpha = 1;        // random ÷ sequential bandwidth at that chunk size, in (0, 1]
};

struct DeviceProfile {
  std::string name;
  std::string description;
  double memory_bytes = 0;                     // device memory available to the serving process
  double bandwidth_bytes_per_s = 0;            // sequential read bandwidth
  double flops_per_s = 0;                      // dense matmul rate
  double step_overhead_s = 0;                  // fixed cost per scheduler step
  double reserved_memory_fraction = 0;         // share of memory_bytes not usable for weights + KV
  std::vector<AlphaPoint> alpha_curve;         // ascending chunk_bytes, non-decreasing α
  std::map<std::string, std::string> sources;  // field → provenance of its figure

  // α at `chunk_bytes`: log2-linear interpolation between points, clamped outside them.
  double alpha(double chunk_bytes) const;
  double usable_memory_bytes() const { return memory_bytes * (1.0 - reserved_memory_fraction); }
};

// Parses and validates a profile; `source` names the file in errors.
DeviceProfile parse_device_profile(const std::string& json_text, const std::string& source);

// Throws odma::Error naming `source` and the field if `p` breaks an invariant above.
void validate_device_profile(const DeviceProfile& p, const std::string& source);

// A path (contains '/' or ends in ".json") or a shipped name (data/devices/<name>.json).
DeviceProfile load_device_profile(const std::string& name_or_path);

// Names of the shipped profiles (data/devices/*.json, sorted).
std::vector<std::string> device_profile_names();

// "YYYY-MM-DD HH:MM UTC" now: how measured profiles date their sources.
std::string profile_timestamp();

// The profile as JSON text in the file format above (pretty-printed).
std::string device_profile_json(const DeviceProfile& p);

}  // namespace odma::sim
