#include "bench/machine.h"

#include <filesystem>
#include <fstream>

namespace odma::bench {

std::int64_t last_level_cache_bytes() {
  return last_level_cache_bytes("/sys/devices/system/cpu/cpu0/cache");
}

std::int64_t last_level_cache_bytes(const std::filesystem::path& dir) {
  int best_level = -1;
  std::int64_t best = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().filename().string().rfind("index", 0) != 0) continue;
    int level = 0;
    std::string size;
    std::ifstream(e.path() / "level") >> level;
    std::ifstream(e.path() / "size") >> size;  // e.g. "32768K"
    if (size.empty()) continue;
    std::int64_t bytes = 0;
    try {
      bytes = std::stoll(size);
    } catch (...) {
      continue;
    }
    const char unit = size.back();
    if (unit == 'K') bytes <<= 10;
    if (unit == 'M') bytes <<= 20;
    if (unit == 'G') bytes <<= 30;
    if (level > best_level || (level == best_level && bytes > best)) {
      best_level = level;
      best = bytes;
    }
  }
  return best;
}

std::string residency(double bytes, std::int64_t llc_bytes) {
  if (llc_bytes <= 0) return "unknown LLC";
  return bytes >= 4.0 * static_cast<double>(llc_bytes) ? "DRAM-resident (>= 4x LLC)"
                                                       : "cache-resident (< 4x LLC)";
}

}  // namespace odma::bench
