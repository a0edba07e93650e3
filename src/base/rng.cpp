#include <cmath>

#include "base/error.h"
#include "base/rng.h"

namespace odma {

std::uint64_t SplitMix64::next() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double SplitMix64::uniform() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

std::uint64_t SplitMix64::below(std::uint64_t n) {
  if (n == 0) throw Error("SplitMix64::below: n must be ≥ 1");
  // Rejection sampling: values in the short top range [limit, 2^64) would bias small results.
  const std::uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
  for (;;) {
    const std::uint64_t v = next();
    if (v < limit) return v % n;
  }
}

double SplitMix64::exponential(double rate) {
  // 1 − u lies in (0, 1], so the log is finite.
  return -std::log(1.0 - uniform()) / rate;
}

}  // namespace odma
