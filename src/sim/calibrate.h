// `odma simulate --calibrate`: measures this machine's memory system for a `cpu-local` device
// profile — sequential read bandwidth, and α(chunk) = bandwidth reading chunks of 16 B .. 1 MB at
// random chunk-aligned places ÷ sequential bandwidth — plus a rough matmul rate. One thread, a
// buffer far larger than the last-level cache, best of a few repetitions per point; ~2-5 s (CPU
// time of the probing thread, so a busy machine stretches wall time, not figures).
//
// The random reads mimic a block-table attention kernel: chunk addresses come from a register
// RNG (no index array), so loads are independent and the core may overlap them, as it may overlap
// independent page loads.
#pragma once

#include <cstddef>
#include <string>

#include "sim/device_profile.h"

namespace odma::sim {

struct CalibrationOptions {
  std::size_t buffer_bytes = std::size_t{256} << 20;    // ≫ LLC so reads come from DRAM
  std::size_t bytes_per_point = std::size_t{64} << 20;  // bytes read per α measurement
  int repetitions = 3;                                  // best of
  std::string name = "cpu-local";
};

struct CalibrationReport {
  DeviceProfile profile;
  std::string log;  // one line per measurement, for the user
};

// Runs the probe. α points are made monotone (running maximum, capped at 1) before returning, so
// the profile always validates; the log shows the raw figures.
CalibrationReport calibrate_this_machine(const CalibrationOptions& options);

}  // namespace odma::sim
