// The seeded generator behind every random choice odma makes (workload draws, mixture order,
// Poisson gaps, training shuffles, noisy predictions): splitmix64, so one seed gives the same
// stream on every platform and compiler.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace odma {

// splitmix64 (Steele, Lea & Flood 2014; Vigna's reference splitmix64.c).
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  double uniform();                      // in [0, 1), 53 random bits
  std::uint64_t below(std::uint64_t n);  // uniform in [0, n), n ≥ 1, unbiased
  double exponential(double rate);       // mean 1/rate, rate > 0

 private:
  std::uint64_t state_;
};

// Fisher–Yates shuffle driven by `rng`.
template <typename T>
void shuffle(std::vector<T>& v, SplitMix64& rng) {
  for (std::size_t i = v.size(); i > 1; --i) {
    const auto j = static_cast<std::size_t>(rng.below(i));
    std::swap(v[i - 1], v[j]);
  }
}

}  // namespace odma
