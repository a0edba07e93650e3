// This process's memory as the kernel counts it (/proc/self/status): resident now (VmRSS) and its
// peak (VmHWM), in bytes. 0 where the file is unreadable (not Linux).
#pragma once

#include <cstdint>

namespace odma {

struct ProcessMemory {
  std::int64_t resident_bytes = 0;
  std::int64_t peak_resident_bytes = 0;
};

ProcessMemory process_memory();

}  // namespace odma
