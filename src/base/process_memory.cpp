#include "base/process_memory.h"

#include <fstream>
#include <sstream>
#include <string>

namespace odma {

ProcessMemory process_memory() {
  ProcessMemory m;
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    // Lines look like "VmRSS:     123456 kB".
    std::int64_t* field = line.rfind("VmRSS:", 0) == 0   ? &m.resident_bytes
                          : line.rfind("VmHWM:", 0) == 0 ? &m.peak_resident_bytes
                                                         : nullptr;
    if (field == nullptr) continue;
    std::istringstream v(line.substr(6));
    std::int64_t kb = 0;
    v >> kb;
    *field = kb * 1024;
  }
  return m;
}

}  // namespace odma
