// Prefix caching in the policies (kv/policy_base.h): a finished request leaves its stored tokens
// cached; a later request whose prompt starts with them reads them (read-only shared runs) and
// reserves only the rest; unread cached ranges are evicted least recent first when room is
// needed. Each table names the slots, so it reads as the specification. validate() after every
// call checks the shared runs, the cache's backings and the leases.
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "kv/policy.h"
#include "policy_table.h"

namespace odma::kv {
namespace {

std::vector<std::int32_t> ids(std::int32_t first, std::int32_t n) {
  std::vector<std::int32_t> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), first);
  return v;
}
std::vector<std::int32_t> cat(std::vector<std::int32_t> a, const std::vector<std::int32_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

RequestSpec request(RequestId id, const std::vector<std::int32_t>& tokens, std::int32_t prompt,
                    std::int32_t predicted = 10, std::int32_t max_output = 100) {
  RequestSpec s;
  s.id = id;
  s.prompt_tokens = prompt;
  s.max_output_tokens = max_output;
  s.prediction.output_tokens = predicted;
  s.tokens = &tokens;
  return s;
}

PolicyConfig config(std::int64_t capacity) {
  PolicyConfig c;
  c.capacity_tokens = capacity;
  c.granule = 16;
  c.max_model_len = 256;
  c.odma.buckets = 4;  // geometric size classes 16, 48, 96, 256 before any completion
  c.odma.safety_fraction_min = 0.0;
  c.odma.safety_fraction_max = 0.0;
  return c;
}

void admit_ok(Policy& p, const RequestSpec& s) {
  AdmitResult a = p.admit(s);
  ASSERT_EQ(to_string(a.status), "ok");
  ASSERT_EQ(p.validate(), "");
}
void grow_ok(Policy& p, RequestId id, std::int64_t total) {
  GrowResult g = p.grow(id, total);
  ASSERT_FALSE(is_error(g.status)) << to_string(g.status);
  ASSERT_EQ(p.validate(), "");
}

TEST(PrefixCaching, AHitSharesTheCachedRunsAndAPartialHitSplitsANode) {
  auto p = make_policy("odma", config(512));
  // Request 1: prompt A (40 tokens); 6 outputs, so 45 positions hold K/V at finish.
  const std::vector<std::int32_t> t1 = cat(ids(1000, 40), ids(5000, 6));
  admit_ok(*p, request(1, t1, 40));
  EXPECT_EQ(p->allocation(1)->extents, (std::vector<Extent>{{0, 96}}));  // bucket of 40 + 10
  grow_ok(*p, 1, 45);
  ASSERT_EQ(p->finish(1, 6), Status::kOk);
  // The 45 stored tokens stay cached in [0, 48); the slack [48, 96) is free again.
  EXPECT_EQ(p->gauges().cached, 48);
  EXPECT_EQ(p->gauges().cached_reclaimable, 48);
  EXPECT_EQ(p->gauges().free, 512 - 48);
  EXPECT_EQ(p->validate(), "");

  // Request 2: A then B (20 tokens). It reads A from [0, 40) and reserves 20 + 10 → 48 slots.
  std::vector<std::int32_t> t2 = cat(ids(1000, 40), ids(2000, 20));
  admit_ok(*p, request(2, t2, 60));
  const Allocation* a2 = p->allocation(2);
  EXPECT_EQ(a2->shared, (std::vector<Extent>{{0, 40}}));
  EXPECT_EQ(a2->shared_tokens, 40);
  EXPECT_EQ(a2->extents, (std::vector<Extent>{{48, 48}}));
  EXPECT_EQ(a2->used, 20);
  EXPECT_EQ(p->gauges().cached_reclaimable, 0);  // read by request 2

  // Request 3 shares only A's first 30 tokens: the hit ends mid-edge.
  const std::vector<std::int32_t> t3 = cat(ids(1000, 30), ids(3000, 10));
  admit_ok(*p, request(3, t3, 40));
  EXPECT_EQ(p->allocation(3)->shared, (std::vector<Extent>{{0, 30}}));

  // Request 2 finishes with 3 outputs (62 positions): B and its output are cached in its own
  // extent; A's node splits at 40 (nothing moves), and A + B is now two runs. Request 4 sends A,
  // B and then other tokens than 2's output: 60 shared.
  grow_ok(*p, 2, 62);
  const std::vector<std::int32_t> out2 = ids(6000, 3);
  t2.insert(t2.end(), out2.begin(), out2.end());  // the spec points at t2: outputs go there
  ASSERT_EQ(p->finish(2, 3), Status::kOk);
  EXPECT_EQ(p->validate(), "");
  const std::vector<std::int32_t> t4 = cat(cat(ids(1000, 40), ids(2000, 20)), ids(4000, 5));
  admit_ok(*p, request(4, t4, 65));
  EXPECT_EQ(p->allocation(4)->shared, (std::vector<Extent>{{0, 40}, {48, 20}}));
  EXPECT_EQ(p->allocation(4)->shared_tokens, 60);
  const KvCounters c = p->counters();
  EXPECT_EQ(c.prefix_queries, 40 + 60 + 40 + 65);
  EXPECT_EQ(c.prefix_hits, 0 + 40 + 30 + 60);
}

TEST(PrefixCaching, TheLastPromptTokenIsAlwaysComputed) {
  auto p = make_policy("odma", config(512));
  const std::vector<std::int32_t> t = ids(1, 33);
  admit_ok(*p, request(1, t, 32));
  grow_ok(*p, 1, 33);
  ASSERT_EQ(p->finish(1, 2), Status::kOk);
  admit_ok(*p, request(2, t, 32));  // the same 32-token prompt: 31 shared, 1 computed
  EXPECT_EQ(p->allocation(2)->shared_tokens, 31);
  EXPECT_EQ(p->allocation(2)->used, 1);
}

TEST(PrefixCaching, UnreadCachedRangesAreEvictedLeastRecentFirstUnderPressure) {
  auto p = make_policy("odma", config(256));
  const std::vector<std::int32_t> a = ids(100, 100), b = ids(300, 100), c = ids(500, 100);
  for (RequestId id : {1, 2}) {  // each reserves its cap, 100 + 12 → 112 slots
    const auto& t = id == 1 ? a : b;
    admit_ok(*p, request(id, t, 100, 1, 12));
    ASSERT_EQ(p->finish(id, 1), Status::kOk);  // 100 stored → 112 cached
  }
  EXPECT_EQ(p->allocation(1), nullptr);
  EXPECT_EQ(p->gauges().cached, 224);
  // Reading a's prefix makes it the most recent; releasing the reader leaves it cached.
  admit_ok(*p, request(3, a, 100, 1, 12));
  ASSERT_EQ(p->release(3), Status::kOk);
  // 112 slots: only 32 are free, so the least recent range (b's, [112, 224)) goes.
  admit_ok(*p, request(4, c, 100, 1, 12));
  EXPECT_EQ(p->allocation(4)->extents, (std::vector<Extent>{{112, 112}}));
  EXPECT_EQ(p->counters().cache_evictions, 1);
  EXPECT_EQ(p->gauges().cached, 112);  // a's range stays
  // Nothing unread is left to evict for a 240-slot request: it waits.
  const std::vector<std::int32_t> d = ids(700, 200);
  RequestSpec big = request(5, d, 200, 30, 30);
  EXPECT_EQ(to_string(p->admit(big).status), "deferred");
  EXPECT_EQ(p->gauges().cached, 0);  // a's range was evicted trying
  EXPECT_EQ(p->validate(), "");
  ASSERT_EQ(p->release(4), Status::kOk);
  admit_ok(*p, big);
}

TEST(PrefixCaching, EvictingTheTailOfACachedRangeGivesItsSlotsBack) {
  auto p = make_policy("odma", config(128));
  const std::vector<std::int32_t> a = cat(ids(1000, 40), ids(5000, 6));
  admit_ok(*p, request(1, a, 40, 10, 60));  // caps of 100–110 tokens fit the arena
  grow_ok(*p, 1, 45);
  ASSERT_EQ(p->finish(1, 6), Status::kOk);  // [0, 48) cached
  // Request 2 shares A's first 20 tokens: A's node splits at 20 when 2's tokens are cached.
  const std::vector<std::int32_t> t2 = cat(ids(1000, 20), ids(3000, 20));
  admit_ok(*p, request(2, t2, 40, 10, 60));
  EXPECT_EQ(p->allocation(2)->extents, (std::vector<Extent>{{48, 48}}));
  ASSERT_EQ(p->finish(2, 1), Status::kOk);  // its 20 own tokens cached in [48, 80)
  EXPECT_EQ(p->gauges().cached, 80);
  // 96 slots for request 3: A's tail (positions 20–45, the least recent leaf) goes first and
  // gives [32, 48) back at once, though A's first 20 tokens stay cached in [0, 32); then request
  // 2's range goes, and [32, 128) is one free range.
  const std::vector<std::int32_t> t3 = ids(7000, 50);
  admit_ok(*p, request(3, t3, 50, 10, 60));
  EXPECT_EQ(p->allocation(3)->extents, (std::vector<Extent>{{32, 96}}));
  EXPECT_EQ(p->counters().cache_evictions, 2);
  EXPECT_EQ(p->gauges().cached, 32);
  // A's first 20 tokens are still a hit.
  ASSERT_EQ(p->release(3), Status::kOk);
  const std::vector<std::int32_t> t4 = cat(ids(1000, 20), ids(9000, 5));
  admit_ok(*p, request(4, t4, 25, 10, 60));
  EXPECT_EQ(p->allocation(4)->shared, (std::vector<Extent>{{0, 20}}));
}

TEST(PrefixCaching, ARequestThatSharesGrowsAndMigratesOnlyItsOwnTail) {
  auto p = make_policy("odma", config(256));
  const std::vector<std::int32_t> a = ids(100, 48);
  admit_ok(*p, request(1, a, 48, 1));
  grow_ok(*p, 1, 48);
  ASSERT_EQ(p->finish(1, 1), Status::kOk);  // [0, 48) cached
  const std::vector<std::int32_t> t2 = cat(a, ids(900, 8));
  admit_ok(*p, request(2, t2, 56, 4));  // 48 shared; own 8 + 4 → 16 slots at [48, 64)
  EXPECT_EQ(p->allocation(2)->extents, (std::vector<Extent>{{48, 16}}));
  const std::vector<std::int32_t> t3 = ids(2000, 20);
  admit_ok(*p, request(3, t3, 20, 10));  // [64, 112): request 2 cannot grow in place
  grow_ok(*p, 2, 64);                    // own 16: fits
  // 48 + 17 = 65 positions: own 17 > 16 → the own tail migrates (its 16 stored tokens are
  // copied); the shared run stays where it is.
  GrowResult g = p->grow(2, 65);
  EXPECT_EQ(to_string(g.status), "migrated");
  EXPECT_EQ(g.copies, (std::vector<CopyOp>{{48, 112, 16}}));
  EXPECT_EQ(p->allocation(2)->shared, (std::vector<Extent>{{0, 48}}));
  EXPECT_EQ(p->validate(), "");
}

TEST(PrefixCaching, APreemptedRequestLetsItsPinGoAndHitsAgain) {
  auto p = make_policy("odma", config(256));
  const std::vector<std::int32_t> a = ids(100, 64);
  admit_ok(*p, request(1, a, 64, 1));
  ASSERT_EQ(p->finish(1, 1), Status::kOk);
  const std::vector<std::int32_t> t2 = cat(a, ids(900, 8));
  admit_ok(*p, request(2, t2, 72, 4));
  EXPECT_EQ(p->gauges().cached_reclaimable, 0);
  ASSERT_EQ(p->preempt(2), Status::kOk);
  EXPECT_EQ(p->gauges().cached_reclaimable, 64);  // pin released; its own part freed, not cached
  EXPECT_EQ(p->validate(), "");
  RequestSpec again = request(2, t2, 72, 4);
  again.generated_before_preemption = 3;
  admit_ok(*p, again);
  EXPECT_EQ(p->allocation(2)->shared_tokens, 64);
  EXPECT_EQ(p->counters().prefix_queries, 64 + 72);  // a re-admission is no new query
}

TEST(PrefixCaching, APinnedPrefixThatSplitsTheOnlyRoomIsGivenUpNotWaitedFor) {
  // Oracle cannot compact: three cached ranges A | B | C fill slots 0-48; D reads B's prompt
  // (pinned at 16-32) and needs 48 own slots, but B splits the arena into 16 + 32. Unshared, D fits
  // in the whole arena once every cached range is evicted; before, it waited for room that never
  // came (the planner failed it with nothing running).
  auto p = make_policy("oracle", config(64));
  std::vector<std::vector<std::int32_t>> prompts;
  for (std::int32_t i = 0; i < 3; ++i) prompts.push_back(ids(100 * (i + 1), 15));
  for (std::int32_t i = 0; i < 3; ++i) {
    RequestSpec s = request(i + 1, prompts[static_cast<std::size_t>(i)], 15, 1, 1);
    s.prediction.true_output_tokens = 1;
    admit_ok(*p, s);
  }
  for (RequestId id = 1; id <= 3; ++id) ASSERT_EQ(p->finish(id, 1), Status::kOk);
  ASSERT_EQ(p->gauges().cached, 48);
  const std::vector<std::int32_t> d = cat(prompts[1], ids(500, 33));
  RequestSpec s = request(4, d, 48, 1, 1);
  s.prediction.true_output_tokens = 1;
  admit_ok(*p, s);
  EXPECT_EQ(p->allocation(4)->shared_tokens, 0);
  EXPECT_EQ(p->allocation(4)->reserved, 64);
  EXPECT_EQ(p->gauges().cached, 0);
  EXPECT_EQ(p->counters().prefix_hits, 0);  // admitted unshared: nothing was read
}

TEST(PrefixCaching, PagedSharesWholeBlocksOnly) {
  PolicyConfig c = config(256);
  c.paged_watermark = 0;
  auto p = make_policy("paged", c);
  const std::vector<std::int32_t> a = cat(ids(100, 40), ids(800, 6));
  admit_ok(*p, request(1, a, 40));
  grow_ok(*p, 1, 45);
  ASSERT_EQ(p->finish(1, 6), Status::kOk);
  EXPECT_EQ(p->gauges().cached, 48);  // three whole blocks, the last one partly filled
  // 40 matching tokens → two whole blocks (32) shared; the rest of the prompt in own blocks.
  const std::vector<std::int32_t> t2 = cat(ids(100, 40), ids(2000, 20));
  admit_ok(*p, request(2, t2, 60));
  EXPECT_EQ(p->allocation(2)->shared, (std::vector<Extent>{{0, 32}}));
  EXPECT_EQ(p->allocation(2)->used, 28);
  EXPECT_EQ(p->allocation(2)->extents.size(), 2u);
}

TEST(PrefixCaching, StaticAndTheSwitchOffCacheNothing) {
  PolicyConfig off = config(512);
  off.prefix_caching = false;
  for (auto& p : {make_policy("static", config(512)), make_policy("odma", off)}) {
    const std::vector<std::int32_t> a = ids(1, 40);
    admit_ok(*p, request(1, a, 40));
    ASSERT_EQ(p->finish(1, 1), Status::kOk);
    EXPECT_EQ(p->gauges().cached, 0) << p->name();
    admit_ok(*p, request(2, a, 40));
    EXPECT_EQ(p->allocation(2)->shared_tokens, 0) << p->name();
  }
}

TEST(PrefixCaching, ResetFreesEveryUnreadRange) {
  auto p = make_policy("odma", config(512));
  const std::vector<std::int32_t> a = ids(1, 40), b = ids(100, 40);
  admit_ok(*p, request(1, a, 40));
  ASSERT_EQ(p->finish(1, 1), Status::kOk);
  admit_ok(*p, request(2, b, 40));
  ASSERT_EQ(p->finish(2, 1), Status::kOk);
  const std::vector<std::int32_t> t3 = cat(a, ids(500, 4));
  admit_ok(*p, request(3, t3, 44));        // reads a
  EXPECT_EQ(p->reset_prefix_cache(), 48);  // b's range; a's is read
  EXPECT_EQ(p->gauges().cached, 48);
  ASSERT_EQ(p->release(3), Status::kOk);
  EXPECT_EQ(p->reset_prefix_cache(), 48);
  EXPECT_EQ(p->gauges().free, 512);
  EXPECT_EQ(p->validate(), "");
}

}  // namespace
}  // namespace odma::kv
