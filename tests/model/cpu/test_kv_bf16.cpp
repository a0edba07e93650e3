// BF16 KV planes: store rounds each F32 row to the plane's slots, apply() moves runs with memmove
// semantics in list order in every plane, and out-of-arena operations throw before changing data.
#include "model/cpu/kv_bf16.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "base/error.h"
#include "model/cpu/bf16.h"

namespace odma::model::cpu {
namespace {

TEST(KvBf16, StoreRoundsEveryHeadRowIntoItsPlane) {
  const int layers = 2, heads = 3, hd = 40, cap = 50;
  KvPlanesBf16 kv(layers, heads, hd, cap);
  EXPECT_EQ(kv.bytes() % 64, 0u);
  for (int l = 0; l < layers; ++l)
    for (int t = 0; t < 2; ++t)
      for (int h = 0; h < heads; ++h)
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(kv.plane(l, t, h)) % 64, 0u);
  std::mt19937 rng(3);
  std::normal_distribution<float> d;
  const int n = 7;
  const std::size_t stride = static_cast<std::size_t>(heads) * hd + 5;  // padded rows
  std::vector<float> k(stride * n), v(stride * n);
  for (auto& x : k) x = d(rng);
  for (auto& x : v) x = d(rng);
  kv.store(1, 20, n, k.data(), v.data(), stride);
  for (int i = 0; i < n; ++i)
    for (int h = 0; h < heads; ++h)
      for (int e = 0; e < hd; ++e) {
        const std::size_t src = static_cast<std::size_t>(i) * stride + h * hd + e;
        const std::size_t dst = static_cast<std::size_t>(20 + i) * hd + e;
        ASSERT_EQ(kv.plane(1, 0, h)[dst], to_bf16(k[src]));
        ASSERT_EQ(kv.plane(1, 1, h)[dst], to_bf16(v[src]));
        ASSERT_EQ(kv.plane(0, 0, h)[dst], 0);  // other layer untouched
      }
  EXPECT_THROW(kv.store(0, cap - 2, 3, k.data(), v.data(), stride), Error);
  EXPECT_THROW(kv.store(2, 0, 1, k.data(), v.data(), stride), Error);
}

TEST(KvBf16, ApplyMovesRunsWithMemmoveSemanticsInOrder) {
  const int hd = 8, cap = 64;
  KvPlanesBf16 kv(1, 2, hd, cap);
  for (int t = 0; t < 2; ++t)
    for (int h = 0; h < 2; ++h)
      for (int s = 0; s < cap * hd; ++s)
        kv.plane(0, t, h)[s] = static_cast<std::uint16_t>(s * 3 + t * 1000 + h * 7);
  std::vector<std::uint16_t> want(kv.plane(0, 1, 1), kv.plane(0, 1, 1) + cap * hd);
  // Overlapping forward move, then a move that reads what the first wrote.
  std::memmove(want.data() + 10 * hd, want.data() + 4 * hd, 12 * hd * 2);
  std::memmove(want.data() + 40 * hd, want.data() + 12 * hd, 5 * hd * 2);
  kv.apply({{4, 10, 12}, {12, 40, 5}});
  EXPECT_EQ(0, std::memcmp(want.data(), kv.plane(0, 1, 1), want.size() * 2));
  const std::vector<std::uint16_t> before(kv.plane(0, 0, 0), kv.plane(0, 0, 0) + cap * hd);
  EXPECT_THROW(kv.apply({{0, 1, 2}, {60, 0, 5}}), Error);  // second op leaves the arena
  EXPECT_EQ(0, std::memcmp(before.data(), kv.plane(0, 0, 0), before.size() * 2));
}

}  // namespace
}  // namespace odma::model::cpu
