// Shared helpers for the CPU kernel tests: seeded random data and ISA enumeration.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "model/cpu/bf16.h"
#include "model/cpu/cpu_features.h"

namespace odma::model::cpu::test {

inline std::vector<float> random_floats(std::size_t n, std::mt19937& rng, float sd = 1.0f) {
  std::normal_distribution<float> d(0.0f, sd);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

inline std::vector<std::uint16_t> random_bf16(std::size_t n, std::mt19937& rng, float sd = 1.0f) {
  std::normal_distribution<float> d(0.0f, sd);
  std::vector<std::uint16_t> v(n);
  for (auto& x : v) x = to_bf16(d(rng));
  return v;
}

inline std::string isa_label(Isa isa) {
  return isa_name(isa);
}

constexpr double kU32 = 1.0 / (1 << 24);  // F32 unit roundoff, 2^-24
constexpr double kUBf16 = 1.0 / 256;      // BF16 unit roundoff, 2^-8

}  // namespace odma::model::cpu::test
