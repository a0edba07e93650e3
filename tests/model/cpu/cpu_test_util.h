// Shared helpers for the CPU kernel tests: seeded random data, random run layouts, ISA names.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "model/cpu/bf16.h"
#include "model/cpu/cpu_features.h"
#include "model/cpu/kv_run.h"

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

// `ctx` positions at distinct random slots, grouped into runs of random lengths in [1, max_run]
// (max_run 0: one run at a random offset).
inline std::vector<KvRun> random_runs(int ctx, int cap, int max_run, std::mt19937& rng) {
  if (max_run == 0) {
    std::uniform_int_distribution<int> off(0, cap - ctx);
    return {{off(rng), ctx}};
  }
  std::vector<int> lens;
  std::uniform_int_distribution<int> len(1, max_run);
  for (int p = 0; p < ctx;) {
    const int n = std::min(ctx - p, len(rng));
    lens.push_back(n);
    p += n;
  }
  // Place runs in disjoint slot ranges of the arena, in random order.
  const int slack = cap - ctx;
  std::vector<int> order(lens.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<std::int64_t> slot(lens.size());
  std::int64_t at = 0;
  std::uniform_int_distribution<int> gap(0, slack / static_cast<int>(lens.size() + 1));
  for (int i : order) {
    at += gap(rng);
    slot[static_cast<std::size_t>(i)] = at;
    at += lens[static_cast<std::size_t>(i)];
  }
  std::vector<KvRun> runs;
  for (std::size_t i = 0; i < lens.size(); ++i) runs.push_back({slot[i], lens[i]});
  return runs;
}

constexpr double kU32 = 1.0 / (1 << 24);  // F32 unit roundoff, 2^-24
constexpr double kUBf16 = 1.0 / 256;      // BF16 unit roundoff, 2^-8

}  // namespace odma::model::cpu::test
