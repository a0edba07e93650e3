// What the benchmarks print about the machine so a figure says which regime it was measured in:
// the last-level cache (from sysfs), and whether a working set is DRAM-resident by the rule the
// benchmarks use (at least 4× the last-level cache).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace odma::bench {

// Size of the highest-level CPU cache of cpu0 (/sys/devices/system/cpu/cpu0/cache/index*/size),
// in bytes; 0 when sysfs does not say.
std::int64_t last_level_cache_bytes();
// The same read from `cache_dir` (a folder laid out like sysfs's cpu0/cache: index*/level, size).
std::int64_t last_level_cache_bytes(const std::filesystem::path& cache_dir);

// "DRAM-resident (≥ 4× LLC)" or "cache-resident (< 4× LLC)" for `bytes`; "unknown LLC" without one.
std::string residency(double bytes, std::int64_t llc_bytes);

}  // namespace odma::bench
