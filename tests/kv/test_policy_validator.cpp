// The validator must catch each kind of violation (else the property test proves nothing).
#include "kv/validator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace odma::kv {
namespace {

using ::testing::HasSubstr;

Allocation holding(std::vector<Extent> extents, std::int64_t used) {
  Allocation a;
  a.extents = std::move(extents);
  for (const Extent& e : a.extents) a.reserved += e.length;
  a.used = used;
  return a;
}

TEST(Validator, AcceptsAConsistentLayout) {
  Arena arena(128, 16);
  ASSERT_EQ(arena.allocate(32, 1), 0);
  ASSERT_EQ(arena.allocate(16, 2), 32);
  const Allocation a = holding({{0, 32}}, 20), b = holding({{32, 16}}, 16);
  const LiveView view{{1, &a}, {2, &b}};
  EXPECT_EQ(validate_layout(arena, view), "");
  KvGauges g{.capacity = 128,
             .reserved = 48,
             .used = 36,
             .free = 80,
             .largest_free = 80,
             .safety_pool = 0,
             .live_requests = 2};
  EXPECT_EQ(validate_accounting(view, g), "");
  KvCounters c;
  c.admitted = 2;
  EXPECT_EQ(validate_counters(c, g), "");
}

TEST(Validator, CatchesOverlapLeaksAndWrongOwners) {
  Arena arena(128, 16);
  ASSERT_EQ(arena.allocate(32, 1), 0);
  ASSERT_EQ(arena.allocate(32, 2), 32);
  const Allocation a = holding({{0, 32}}, 20), b = holding({{16, 32}}, 20);
  EXPECT_THAT(validate_layout(arena, {{1, &a}, {2, &b}}), HasSubstr("overlaps"));
  EXPECT_THAT(validate_layout(arena, {{1, &a}}), HasSubstr("leak"));
  const Allocation c = holding({{32, 32}}, 20);
  EXPECT_THAT(validate_layout(arena, {{1, &a}, {3, &c}}), HasSubstr("owner"));
  const Allocation misaligned = holding({{32, 24}}, 20);
  EXPECT_THAT(validate_layout(arena, {{1, &a}, {2, &misaligned}}), HasSubstr("bad extent"));
  const Allocation on_free = holding({{64, 32}}, 20);
  EXPECT_THAT(validate_layout(arena, {{1, &a}, {2, &c}, {4, &on_free}}), HasSubstr("overlaps"));
}

TEST(Validator, CatchesAccountingErrors) {
  KvGauges g{.capacity = 128,
             .reserved = 32,
             .used = 20,
             .free = 96,
             .largest_free = 96,
             .safety_pool = 0,
             .live_requests = 1};
  Allocation a = holding({{0, 32}}, 20);
  a.reserved = 48;
  EXPECT_THAT(validate_accounting({{1, &a}}, g), HasSubstr("extents sum"));
  const Allocation over = holding({{0, 32}}, 33);
  EXPECT_THAT(validate_accounting({{1, &over}}, g), HasSubstr("used"));
  const Allocation ok = holding({{0, 32}}, 20);
  KvGauges wrong = g;
  wrong.free = 80;
  EXPECT_THAT(validate_accounting({{1, &ok}}, wrong), HasSubstr("capacity − free"));
  wrong = g;
  wrong.used = 21;
  EXPECT_THAT(validate_accounting({{1, &ok}}, wrong), HasSubstr("Σ used"));
  wrong = g;
  wrong.live_requests = 2;
  EXPECT_THAT(validate_accounting({{1, &ok}}, wrong), HasSubstr("live requests"));
}

TEST(Validator, CatchesCounterErrors) {
  KvGauges g;
  g.live_requests = 1;
  KvCounters c;
  c.admitted = 1;
  c.overflows = 3;
  c.migrations = 1;
  c.grow_in_place = 1;
  EXPECT_THAT(validate_counters(c, g), HasSubstr("overflows"));
  c.preemptions = 1;
  EXPECT_EQ(validate_counters(c, g), "");
  c.failed_requests = 1;
  EXPECT_THAT(validate_counters(c, g), HasSubstr("failed_requests"));
  c.failed_requests = 0;
  c.admitted = 0;
  EXPECT_THAT(validate_counters(c, g), HasSubstr("admitted"));
  c.admitted = 1;
  c.copied_tokens = -1;
  EXPECT_THAT(validate_counters(c, g), HasSubstr("negative"));
}

}  // namespace
}  // namespace odma::kv
