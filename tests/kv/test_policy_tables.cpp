// Iteration tables: per step, what each policy admits, where, and what each overflow does.
// Rows: {op, id, tokens (admit: prompt, grow: total, finish: output), predicted, expected status,
// the request's extents after the call, copies, ...}. Tables are kept one row per line.
#include <gtest/gtest.h>

#include "kv/policy.h"
#include "policy_table.h"

namespace odma::kv {
namespace {

using testing::Op;
using testing::Row;
using testing::run_table;
constexpr Op kAdmit = Op::kAdmit, kGrow = Op::kGrow, kFinish = Op::kFinish, kRelease = Op::kRelease,
             kPreempt = Op::kPreempt;
constexpr Status kOk = Status::kOk, kDeferred = Status::kDeferred, kInPlace = Status::kGrewInPlace,
                 kMigrated = Status::kMigrated, kChained = Status::kChained,
                 kPreempted = Status::kPreempted, kNoRoom = Status::kNoRoom;

PolicyConfig small(std::int64_t capacity) {
  PolicyConfig c;
  c.capacity_tokens = capacity;
  c.granule = 16;
  c.max_model_len = 256;
  return c;
}

// clang-format off
TEST(PolicyTable, StaticReservesTheCapAndFragments) {
  auto p = make_policy("static", small(512));
  run_table(*p, {
    {.op = kAdmit, .id = 1, .tokens = 20, .expect = kOk, .extents = {{0, 128}}, .max_output = 100},
    {.op = kAdmit, .id = 2, .tokens = 50, .expect = kOk, .extents = {{128, 256}}},
    {.op = kAdmit, .id = 3, .tokens = 100, .expect = kDeferred, .extents = {}, .max_output = 100},
    {.op = kGrow, .id = 1, .tokens = 120, .expect = kOk, .extents = {{0, 128}}},
    {.op = kGrow, .id = 1, .tokens = 121, .expect = Status::kExceedsModelLimit, .extents = {{0, 128}}},
    {.op = kFinish, .id = 1, .tokens = 100, .expect = kOk, .extents = {}},
    // 256 slots free, but as [0,128) and [384,512): 208 does not fit.
    {.op = kAdmit, .id = 3, .tokens = 100, .expect = kDeferred, .extents = {}, .max_output = 100},
    {.op = kRelease, .id = 2, .expect = kOk, .extents = {}},
    {.op = kAdmit, .id = 3, .tokens = 100, .expect = kOk, .extents = {{0, 208}}, .max_output = 100},
    {.op = kRelease, .id = 2, .expect = Status::kUnknownRequest, .extents = {}},
  });
  EXPECT_EQ(p->counters().admitted, 3);
  EXPECT_EQ(p->counters().deferrals, 2);
  EXPECT_EQ(p->counters().overflows, 0);
}

TEST(PolicyTable, OracleReservesTheTruthAndFallsBackToTheCap) {
  auto p = make_policy("oracle", small(256));
  run_table(*p, {
    {.op = kAdmit, .id = 1, .tokens = 20, .expect = kOk, .extents = {{0, 64}}, .truth = 30},
    // Unknown truth: prompt + max_output = 110 → 112.
    {.op = kAdmit, .id = 2, .tokens = 10, .expect = kOk, .extents = {{64, 112}}, .max_output = 100},
    {.op = kGrow, .id = 1, .tokens = 50, .expect = kOk, .extents = {{0, 64}}},
    {.op = kGrow, .id = 1, .tokens = 64, .expect = kOk, .extents = {{0, 64}}},
    // The truth was wrong: preempted; re-admitted at the cap (20 + 200 → 224), which must wait.
    {.op = kGrow, .id = 1, .tokens = 65, .expect = kPreempted, .extents = {}},
    {.op = kAdmit, .id = 1, .tokens = 20, .expect = kDeferred, .extents = {}, .truth = 30, .generated_before = 45},
    {.op = kFinish, .id = 2, .tokens = 100, .expect = kOk, .extents = {}},
    {.op = kAdmit, .id = 1, .tokens = 20, .expect = kOk, .extents = {{0, 224}}, .truth = 30, .generated_before = 45},
  });
  EXPECT_EQ(p->counters().preemptions, 1);
  EXPECT_EQ(p->counters().overflows, 1);
}

TEST(PolicyTable, S3ReservesTheBucketEdgeAndPreemptsIntoTheNextBucket) {
  PolicyConfig c = small(256);
  c.s3_buckets = 10;
  c.s3_max_output = 100;  // inclusive upper bounds 9, 19, ..., 89, 100 (kv/s3_buckets.h)
  auto p = make_policy("s3", c);
  EXPECT_EQ(p->bucket_edges(), (std::vector<std::int32_t>{9, 19, 29, 39, 49, 59, 69, 79, 89, 100}));
  run_table(*p, {
    // predicted 15 → bucket [10, 19] → 20 + 19 = 39 → 48 slots.
    {.op = kAdmit, .id = 1, .tokens = 20, .predicted = 15, .expect = kOk, .extents = {{0, 48}}},
    {.op = kGrow, .id = 1, .tokens = 48, .expect = kOk, .extents = {{0, 48}}},
    {.op = kGrow, .id = 1, .tokens = 49, .expect = kPreempted, .extents = {}},
    // 28 generated: bucket [20, 29] → 20 + 29 = 49 → 64 slots.
    {.op = kAdmit, .id = 1, .tokens = 20, .predicted = 15, .expect = kOk, .extents = {{0, 64}}, .generated_before = 28},
    // Predicted beyond the range: the last bucket, 100 → 20 + 100 → 128.
    {.op = kAdmit, .id = 2, .tokens = 20, .predicted = 5000, .expect = kOk, .extents = {{64, 128}}},
    // 150 generated, past s3_max_output: the cap (20 + 200 → 224), which does not fit now.
    {.op = kAdmit, .id = 3, .tokens = 20, .expect = kDeferred, .extents = {}, .generated_before = 150},
    {.op = kFinish, .id = 1, .tokens = 40, .expect = kOk, .extents = {}},
    {.op = kFinish, .id = 2, .tokens = 90, .expect = kOk, .extents = {}},
    {.op = kAdmit, .id = 3, .tokens = 20, .expect = kOk, .extents = {{0, 224}}, .generated_before = 150},
  });
}

TEST(PolicyTable, PagedAppendsBlocksAndAnswersNoRoomWhenNoneIsFree) {
  PolicyConfig c = small(128);  // 8 blocks; a request's cap must fit them all (else kNeverFits)
  c.block_tokens = 16;
  c.paged_watermark = 0.0;
  auto p = make_policy("paged", c);
  EXPECT_FALSE(p->contiguous());
  run_table(*p, {
    {.op = kAdmit, .id = 1, .tokens = 20, .expect = kOk, .extents = {{0, 16}, {16, 16}}, .max_output = 100},
    {.op = kAdmit, .id = 2, .tokens = 40, .expect = kOk, .extents = {{32, 16}, {48, 16}, {64, 16}}, .max_output = 80},
    {.op = kGrow, .id = 1, .tokens = 32, .expect = kOk, .extents = {{0, 16}, {16, 16}}},
    {.op = kGrow, .id = 1, .tokens = 33, .expect = kChained, .extents = {{0, 16}, {16, 16}, {80, 16}}},
    {.op = kRelease, .id = 2, .expect = kOk, .extents = {}},
    // Best fit: the 32-slot range [96,128) is smaller than the 48-slot one [32,80).
    {.op = kGrow, .id = 1, .tokens = 49, .expect = kChained, .extents = {{0, 16}, {16, 16}, {80, 16}, {96, 16}}},
    // 81 tokens need 6 blocks: two at once.
    {.op = kGrow, .id = 1, .tokens = 81, .expect = kChained, .extents = {{0, 16}, {16, 16}, {80, 16}, {96, 16}, {112, 16}, {32, 16}}},
    {.op = kAdmit, .id = 3, .tokens = 30, .expect = kOk, .extents = {{48, 16}, {64, 16}}, .max_output = 90},
    // A 7th block: none free → no room, nothing changes; the caller picks a victim (the planner:
    // the newest running request, here 3), and the retry chains.
    {.op = kGrow, .id = 1, .tokens = 97, .expect = kNoRoom, .extents = {{0, 16}, {16, 16}, {80, 16}, {96, 16}, {112, 16}, {32, 16}}},
    {.op = kPreempt, .id = 3, .expect = kOk, .extents = {}},
    {.op = kGrow, .id = 1, .tokens = 97, .expect = kChained, .extents = {{0, 16}, {16, 16}, {80, 16}, {96, 16}, {112, 16}, {32, 16}, {48, 16}}},
    {.op = kPreempt, .id = 3, .expect = Status::kUnknownRequest, .extents = {}},
  });
  EXPECT_EQ(p->counters().chains, 4);
  EXPECT_EQ(p->counters().no_room, 1);
  EXPECT_EQ(p->counters().preemptions, 1);
  EXPECT_EQ(p->gauges().free, 16);
}

TEST(PolicyTable, PagedWatermarkKeepsBlocksForRunningRequests) {
  PolicyConfig c = small(256);  // 16 blocks
  c.paged_watermark = 0.25;     // keep 4 free
  auto p = make_policy("paged", c);
  run_table(*p, {
    {.op = kAdmit, .id = 1, .tokens = 150, .expect = kOk, .extents = {{0, 16}, {16, 16}, {32, 16}, {48, 16}, {64, 16}, {80, 16}, {96, 16}, {112, 16}, {128, 16}, {144, 16}}, .max_output = 50},
    // 3 blocks would leave 3 < 4 free.
    {.op = kAdmit, .id = 2, .tokens = 40, .expect = kDeferred, .extents = {}},
    {.op = kAdmit, .id = 2, .tokens = 32, .expect = kOk, .extents = {{160, 16}, {176, 16}}},
  });
}

TEST(PolicyTable, PagedReadmitsAPreemptedRequestOnlyWhenItsRecomputeFits) {
  PolicyConfig c = small(256);  // 16 blocks
  c.paged_watermark = 0.0;
  auto p = make_policy("paged", c);
  run_table(*p, {
    {.op = kAdmit, .id = 1, .tokens = 160, .expect = kOk, .extents = {{0, 16}, {16, 16}, {32, 16}, {48, 16}, {64, 16}, {80, 16}, {96, 16}, {112, 16}, {128, 16}, {144, 16}}, .max_output = 60},
    // 6 blocks free. Its 20-token prompt needs 2, but prompt + 90 generated needs 7: it would be
    // preempted again during its own recompute, so it waits (vLLM's can_allocate).
    {.op = kAdmit, .id = 2, .tokens = 20, .expect = kDeferred, .extents = {}, .generated_before = 90},
    // With 70 generated, 6 blocks hold the recompute: admitted, holding only its prompt's blocks
    // (the recompute grows into the rest).
    {.op = kAdmit, .id = 2, .tokens = 20, .expect = kOk, .extents = {{160, 16}, {176, 16}}, .generated_before = 70},
    {.op = kGrow, .id = 2, .tokens = 90, .expect = kChained, .extents = {{160, 16}, {176, 16}, {192, 16}, {208, 16}, {224, 16}, {240, 16}}},
  });
}
// clang-format on

// Geometric default edges for max_length 256, granule 16, K = 4 (AdaptiveBuckets::geometric_edges).
PolicyConfig odma_config() {
  PolicyConfig c = small(256);
  c.odma.buckets = 4;
  c.odma.safety_fraction_min = 0.02;  // pool ≥ round_up(5.12) = 16
  c.odma.safety_fraction_max = 0.20;  // pool ≤ round_down(51.2) = 48
  return c;
}

// clang-format off
// Regression (found on the Mooncake trace, max_model_len 128,243): the top size class ends at
// max_model_len, which need not be a granule multiple; the reservation is rounded up all the same.
TEST(PolicyTable, OdmaRoundsATopBucketEdgeThatIsNoGranuleMultiple) {
  PolicyConfig c = odma_config();
  c.capacity_tokens = 1024;
  c.max_model_len = 250;
  auto p = make_policy("odma", c);
  ASSERT_EQ(p->bucket_edges().back(), 250);
  run_table(*p, {
    {.op = kAdmit, .id = 1, .tokens = 200, .predicted = 40, .expect = kOk, .extents = {{0, 256}}, .max_output = 50},
    {.op = kGrow, .id = 1, .tokens = 250, .expect = kOk, .extents = {{0, 256}}},
  });
}

TEST(PolicyTable, OdmaGrowsInPlaceMigratesCompactsAndPreemptsLast) {
  auto p = make_policy("odma", odma_config());
  // Size classes of prompt + output (the default geometric edges before any completion).
  ASSERT_EQ(p->bucket_edges(), (std::vector<std::int32_t>{16, 48, 96, 256})) << "the table assumes these";
  EXPECT_EQ(p->gauges().safety_pool, 16);
  run_table(*p, {
    // 10 + 4 → bucket 16; 10 + 20 → bucket 48.
    {.op = kAdmit, .id = 1, .tokens = 10, .predicted = 4, .expect = kOk, .extents = {{0, 16}}},
    {.op = kAdmit, .id = 2, .tokens = 10, .predicted = 20, .expect = kOk, .extents = {{16, 48}}},
    {.op = kAdmit, .id = 3, .tokens = 10, .predicted = 4, .expect = kOk, .extents = {{64, 16}}},
    // 17 tokens → next bucket 48; the neighbour is taken: migrate (best fit), copying the 10
    // tokens stored so far (the caller grows before it writes).
    {.op = kGrow, .id = 1, .tokens = 17, .expect = kMigrated, .extents = {{80, 48}}, .copies = {{0, 80, 10}}},
    {.op = kGrow, .id = 3, .tokens = 17, .expect = kMigrated, .extents = {{128, 48}}, .copies = {{64, 128, 10}}},
    // 49 tokens → bucket 96; the range after it is free: grow in place.
    {.op = kGrow, .id = 3, .tokens = 49, .expect = kInPlace, .extents = {{128, 96}}},
    {.op = kRelease, .id = 2, .expect = kOk, .extents = {}},
    // Bucket 96 fits nowhere, but the minimum (64) fits the coalesced [0, 80).
    {.op = kGrow, .id = 1, .tokens = 49, .expect = kMigrated, .extents = {{0, 64}}, .copies = {{80, 0, 17}}},
    // 130 tokens → bucket 256, capped at 10 + 200 → 224 slots, at least 144. Free: [64,128) and
    // [224,256). Compaction slides request 3 down to 64 (copying its 49 tokens), then it grows
    // in place over the 96 slots that opened behind it.
    {.op = kGrow, .id = 3, .tokens = 130, .expect = kInPlace, .extents = {{64, 192}}, .copies = {{128, 64, 49}}},
    {.op = kAdmit, .id = 4, .tokens = 10, .predicted = 4, .expect = kDeferred, .extents = {}},
    // Nothing is free and nothing can move: no room; the last resort (a preemption) is the
    // caller's. Preempting request 1 itself frees its 64 slots.
    {.op = kGrow, .id = 1, .tokens = 65, .expect = kNoRoom, .extents = {{0, 64}}},
    {.op = kPreempt, .id = 1, .expect = kOk, .extents = {}},
  });
  const KvCounters c = p->counters();
  EXPECT_EQ(c.overflows, 5);
  EXPECT_EQ(c.no_room, 1);
  EXPECT_EQ(c.grow_in_place, 2);
  EXPECT_EQ(c.migrations, 3);
  EXPECT_EQ(c.preemptions, 1);
  EXPECT_EQ(c.compaction_moves, 1);
  EXPECT_EQ(c.copied_tokens, 10 + 10 + 17 + 49);
  EXPECT_EQ(c.failed_requests, 0);
}

TEST(PolicyTable, OdmaChainsWhenNoRangeHoldsTheWhole) {
  PolicyConfig c = odma_config();
  c.capacity_tokens = 560;
  c.odma.max_extents = 2;
  c.odma.min_extent_tokens = 64;
  c.odma.compaction_max_moves = 0;
  auto p = make_policy("odma", c);
  ASSERT_EQ(p->bucket_edges(), (std::vector<std::int32_t>{16, 48, 96, 256}));
  run_table(*p, {
    {.op = kAdmit, .id = 1, .tokens = 30, .predicted = 40, .expect = kOk, .extents = {{0, 96}}},
    {.op = kAdmit, .id = 2, .tokens = 30, .predicted = 40, .expect = kOk, .extents = {{96, 96}}},
    {.op = kAdmit, .id = 3, .tokens = 30, .predicted = 40, .expect = kOk, .extents = {{192, 96}}},
    // 190 → bucket 256, capped at 100 + 100 → 208 slots.
    {.op = kAdmit, .id = 4, .tokens = 100, .predicted = 90, .expect = kOk, .extents = {{288, 208}}, .max_output = 100},
    // 97 tokens → bucket 256 → cap 240 (at least 112); only [496,560) is free: no room in place
    // or to migrate, so a second extent of max(112 − 96, 64) = 64 slots.
    {.op = kGrow, .id = 1, .tokens = 97, .expect = kChained, .extents = {{0, 96}, {496, 64}}},
    {.op = kGrow, .id = 1, .tokens = 160, .expect = kOk, .extents = {{0, 96}, {496, 64}}},
    // A third extent is over max_extents and compaction is off: no room.
    {.op = kGrow, .id = 1, .tokens = 161, .expect = kNoRoom, .extents = {{0, 96}, {496, 64}}},
  });
}
// clang-format on

}  // namespace
}  // namespace odma::kv
