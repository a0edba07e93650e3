// A run of a sequence's positions: `n` consecutive positions whose K/V rows sit at slots
// [slot, slot + n) of every plane (one contiguous extent, or one paged block).
#pragma once

#include <cstdint>

namespace odma::model::cpu {

struct KvRun {
  std::int64_t slot;
  int n;
};

}  // namespace odma::model::cpu
