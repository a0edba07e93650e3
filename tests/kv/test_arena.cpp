// Arena: best fit, coalescing, grow in place, sliding compaction; and a randomized comparison
// against a slot-by-slot model.
#include "kv/arena.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "test_scale.h"

namespace odma::kv {
namespace {

using FreeMap = std::map<std::int64_t, std::int64_t>;

TEST(Arena, BestFitTakesTheSmallestRangeThatHolds) {
  Arena a(256, 16);
  EXPECT_EQ(a.allocate(32, 1), 0);
  EXPECT_EQ(a.allocate(64, 2), 32);
  EXPECT_EQ(a.allocate(32, 3), 96);
  EXPECT_EQ(a.allocate(48, 4), 128);
  EXPECT_EQ(a.allocate(16, 5), 176);
  // Free: [192,256) = 64. Release 2 → [32,96) = 64 too; release 4 → [128,176) = 48.
  a.release(32, 64);
  a.release(128, 48);
  EXPECT_EQ(a.free_ranges(), (FreeMap{{32, 64}, {128, 48}, {192, 64}}));
  // 40 → 48: the 48-slot range is the tightest fit; 64 → the lowest of the two 64-slot ranges.
  EXPECT_EQ(a.allocate(48, 6), 128);
  EXPECT_EQ(a.allocate(64, 7), 32);
  EXPECT_EQ(a.allocate(80, 8), std::nullopt);
  EXPECT_EQ(a.free_slots(), 64);
  EXPECT_EQ(a.largest_free(), 64);
  EXPECT_EQ(a.validate(), "");
}

TEST(Arena, ReleaseCoalescesWithBothNeighbours) {
  Arena a(128, 16);
  for (RequestId id = 0; id < 8; ++id)
    EXPECT_EQ(a.allocate(16, id), static_cast<std::int64_t>(id) * 16);
  EXPECT_EQ(a.free_range_count(), 0);
  a.release(16, 16);
  a.release(48, 16);
  EXPECT_EQ(a.free_ranges(), (FreeMap{{16, 16}, {48, 16}}));
  a.release(32, 16);  // joins both neighbours
  EXPECT_EQ(a.free_ranges(), (FreeMap{{16, 48}}));
  a.release(0, 16);  // joins the next one
  a.release(112, 16);
  EXPECT_EQ(a.free_ranges(), (FreeMap{{0, 64}, {112, 16}}));
  a.release(96, 16);  // joins the previous one
  EXPECT_EQ(a.free_ranges(), (FreeMap{{0, 64}, {96, 32}}));
  EXPECT_EQ(a.validate(), "");
  a.release(64, 16);
  a.release(80, 16);
  EXPECT_EQ(a.free_ranges(), (FreeMap{{0, 128}}));
  EXPECT_TRUE(a.owned().empty());
  EXPECT_EQ(a.validate(), "");
}

TEST(Arena, GrowsInPlaceOnlyOverTheFollowingFreeRange) {
  Arena a(128, 16);
  ASSERT_EQ(a.allocate(32, 1), 0);
  ASSERT_EQ(a.allocate(32, 2), 32);
  EXPECT_FALSE(a.grow_in_place(0, 32, 16));  // request 2 follows
  EXPECT_EQ(a.free_after(64), 64);
  EXPECT_FALSE(a.grow_in_place(32, 32, 80));  // only 64 free after it
  EXPECT_EQ(a.free_ranges(), (FreeMap{{64, 64}}));
  EXPECT_TRUE(a.grow_in_place(32, 32, 48));
  EXPECT_EQ(a.free_ranges(), (FreeMap{{112, 16}}));
  EXPECT_EQ(a.owned().at(32).length, 80);
  EXPECT_TRUE(a.grow_in_place(32, 80, 16));
  EXPECT_EQ(a.free_slots(), 0);
  EXPECT_EQ(a.validate(), "");
}

TEST(Arena, AllocateAtTakesAnExactRangeInsideOneFreeRange) {
  Arena a(128, 16);
  EXPECT_TRUE(a.allocate_at(32, 32, 1));
  EXPECT_FALSE(a.allocate_at(48, 16, 2));  // owned
  EXPECT_FALSE(a.allocate_at(16, 32, 2));  // straddles
  EXPECT_EQ(a.free_ranges(), (FreeMap{{0, 32}, {64, 64}}));
  EXPECT_EQ(a.validate(), "");
}

TEST(Arena, SlidePlanIsSideEffectFreeAndCompactsLowestFirst) {
  Arena a(160, 16);
  // [0,16) free, 1 at [16,48), [48,64) free, 2 at [64,96), 3 at [96,112), [112,160) free.
  ASSERT_TRUE(a.allocate_at(16, 32, 1));
  ASSERT_TRUE(a.allocate_at(64, 32, 2));
  ASSERT_TRUE(a.allocate_at(96, 16, 3));
  const FreeMap before = a.free_ranges();
  std::vector<Extent> holes;
  auto plan = a.plan_slide(10, [&](const SlideMove&, const Extent& hole) {
    holes.push_back(hole);
    return hole.length >= 80;
  });
  EXPECT_EQ(a.free_ranges(), before);
  ASSERT_TRUE(plan.has_value());
  ASSERT_EQ(plan->size(), 3U);
  EXPECT_EQ((*plan)[0].owner, 1U);
  EXPECT_EQ((*plan)[0].from, 16);
  EXPECT_EQ((*plan)[0].to, 0);
  EXPECT_EQ((*plan)[1].owner, 2U);
  EXPECT_EQ((*plan)[1].to, 32);
  EXPECT_EQ((*plan)[2].owner, 3U);
  EXPECT_EQ((*plan)[2].to, 64);
  // The hole grows as it swallows the free range after each moved extent.
  EXPECT_EQ(holes, (std::vector<Extent>{{32, 32}, {64, 32}, {80, 80}}));
  EXPECT_FALSE(a.plan_slide(2, [](const SlideMove&, const Extent& h) { return h.length >= 80; }));
  for (const SlideMove& m : *plan) a.apply(m);
  EXPECT_EQ(a.free_ranges(), (FreeMap{{80, 80}}));
  EXPECT_EQ(a.owned().at(0).owner, 1U);
  EXPECT_EQ(a.owned().at(32).owner, 2U);
  EXPECT_EQ(a.owned().at(64).owner, 3U);
  EXPECT_EQ(a.validate(), "");
}

// The model: one owner per slot (0 = free). Best fit over its maximal free runs must match.
TEST(Arena, RandomOperationsMatchASlotModel) {
  constexpr std::int64_t kGranule = 16, kCapacity = 64 * kGranule;
  Arena a(kCapacity, kGranule);
  std::vector<RequestId> slot(kCapacity, 0);
  std::map<std::int64_t, std::pair<RequestId, std::int64_t>> extents;  // offset → owner, length
  std::mt19937_64 rng(7);
  RequestId next_id = 1;
  auto runs = [&] {
    FreeMap m;
    for (std::int64_t i = 0; i < kCapacity;) {
      if (slot[static_cast<std::size_t>(i)] != 0) {
        ++i;
        continue;
      }
      std::int64_t j = i;
      while (j < kCapacity && slot[static_cast<std::size_t>(j)] == 0) ++j;
      m[i] = j - i;
      i = j;
    }
    return m;
  };
  auto fill = [&](std::int64_t off, std::int64_t len, RequestId id) {
    for (std::int64_t i = off; i < off + len; ++i) slot[static_cast<std::size_t>(i)] = id;
  };
  const std::int64_t ops = odma::testing::scaled(20000, 2000);
  for (std::int64_t op = 0; op < ops; ++op) {
    const int kind = static_cast<int>(rng() % 4);
    if (kind <= 1 || extents.empty()) {
      const std::int64_t len = static_cast<std::int64_t>(1 + rng() % 8) * kGranule;
      std::optional<std::int64_t> want;
      std::int64_t best = kCapacity + 1;
      for (const auto& [off, run] : runs()) {
        if (run >= len && run < best) {
          best = run;
          want = off;
        }
      }
      const auto got = a.allocate(len, next_id);
      ASSERT_EQ(got, want) << "op " << op;
      if (got) {
        fill(*got, len, next_id);
        extents[*got] = {next_id, len};
      }
      ++next_id;
    } else if (kind == 2) {
      auto it = std::next(extents.begin(), static_cast<std::ptrdiff_t>(rng() % extents.size()));
      a.release(it->first, it->second.second);
      fill(it->first, it->second.second, 0);
      extents.erase(it);
    } else {
      auto it = std::next(extents.begin(), static_cast<std::ptrdiff_t>(rng() % extents.size()));
      const std::int64_t extra = static_cast<std::int64_t>(1 + rng() % 4) * kGranule;
      const std::int64_t end = it->first + it->second.second;
      bool room = end + extra <= kCapacity;
      for (std::int64_t i = end; room && i < end + extra; ++i)
        room = slot[static_cast<std::size_t>(i)] == 0;
      ASSERT_EQ(a.grow_in_place(it->first, it->second.second, extra), room) << "op " << op;
      if (room) {
        fill(end, extra, it->second.first);
        it->second.second += extra;
      }
    }
    ASSERT_EQ(a.free_ranges(), runs()) << "op " << op;
    ASSERT_EQ(a.validate(), "") << "op " << op;
  }
}

}  // namespace
}  // namespace odma::kv
