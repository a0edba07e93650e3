// The baseline read kernel: one 64-bit word at a time, and the tail of the wider kernels.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "bench/read_kernels/read_sum.h"

namespace odma::bench::detail {

std::uint64_t read_sum_scalar(const std::byte* data, std::size_t bytes) {
  // Four chains, so that the loop waits on memory rather than on one add's latency.
  std::uint64_t acc[4] = {0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 32 <= bytes; i += 32) {
    for (int j = 0; j < 4; ++j) {
      std::uint64_t w;
      std::memcpy(&w, data + i + 8 * static_cast<std::size_t>(j), sizeof w);  // may be unaligned
      acc[j] += w;
    }
  }
  for (; i < bytes; i += 8) {
    std::uint64_t w = 0;  // little-endian: a partial last word is zero-padded at the top
    std::memcpy(&w, data + i, bytes - i < 8 ? bytes - i : 8);
    acc[0] += w;
  }
  return acc[0] + acc[1] + acc[2] + acc[3];
}

}  // namespace odma::bench::detail
