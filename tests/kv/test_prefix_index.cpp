// PrefixIndex: exact runs for hits, splits under leases, LRU leaves-first eviction, and a
// randomized run of admit/finish/abort/evict against an arena and a slot → (sequence, position)
// shadow, with validate() after every operation.
#include "kv/prefix_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <numeric>
#include <random>

#include "kv/arena.h"
#include "test_scale.h"

namespace odma::kv {

// Readable runs in failure messages (found by ADL, so outside the anonymous namespace).
void PrintTo(const SlotRun& r, std::ostream* os) {
  *os << "{" << r.offset << ", " << r.length << "}";
}

namespace {

using Tokens = std::vector<TokenId>;
using Runs = std::vector<SlotRun>;
using Extents = std::vector<Extent>;

// first, first + 1, ..., first + n − 1
Tokens iota(TokenId first, std::int64_t n) {
  Tokens t(static_cast<std::size_t>(n));
  std::iota(t.begin(), t.end(), first);
  return t;
}

Tokens concat(Tokens a, const Tokens& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

constexpr std::int64_t kAll = std::numeric_limits<std::int64_t>::max();

// Inserts with first_pos 0 and expects the backing kept.
void insert_new(PrefixIndex& index, const Tokens& tokens, Extent backing) {
  const PrefixInsert r = index.insert(tokens, backing, 0);
  ASSERT_EQ(r.status, Status::kOk);
  ASSERT_TRUE(r.backing_kept);
  ASSERT_EQ(index.validate(), "");
}

TEST(PrefixIndex, HitReturnsTheRunsOfTheLongestPrefixMergingAdjacentOnes) {
  PrefixIndex index;
  const Tokens a = iota(1, 10);                       // 1..10 at [0, 10)
  const Tokens b = concat(iota(1, 6), iota(100, 4));  // shares 1..6, then 100..103
  insert_new(index, a, {0, 16});
  const PrefixInsert r = index.insert(b, {32, 16}, 0);  // splits a's node after 6 tokens
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_EQ(r.new_tokens, 4);
  EXPECT_TRUE(r.backing_kept);
  EXPECT_EQ(index.validate(), "");

  // b's tail sits at 32 + 6: the part of its backing for tokens 0..5 stays unreferenced.
  PrefixMatch m = index.match(b, kAll);
  EXPECT_EQ(m.length, 10);
  EXPECT_EQ(m.runs, (Runs{{0, 6}, {38, 4}}));
  // a's two halves are adjacent slots: one run.
  m = index.match(a, kAll);
  EXPECT_EQ(m.length, 10);
  EXPECT_EQ(m.runs, (Runs{{0, 10}}));
  // A miss.
  m = index.match(iota(200, 5), kAll);
  EXPECT_EQ(m.length, 0);
  EXPECT_TRUE(m.runs.empty());
  EXPECT_EQ(index.stats().nodes, 3);
  EXPECT_EQ(index.stats().cached_tokens, 14);
}

TEST(PrefixIndex, PartialHitEndsMidEdge) {
  PrefixIndex index;
  insert_new(index, iota(1, 10), {16, 16});
  const Tokens q = concat(iota(1, 7), {99, 8});  // diverges after 7 tokens, inside the one edge
  const PrefixMatch m = index.match(q, kAll);
  EXPECT_EQ(m.length, 7);
  EXPECT_EQ(m.runs, (Runs{{16, 7}}));
  // Shorter than the edge.
  EXPECT_EQ(index.match(iota(1, 3), kAll).runs, (Runs{{16, 3}}));
  EXPECT_EQ(index.stats().nodes, 1);  // matching splits nothing
}

TEST(PrefixIndex, MaxTokensCapsTheMatch) {
  PrefixIndex index;
  const Tokens a = iota(1, 10);
  const Tokens q = concat(a, iota(50, 6));
  insert_new(index, a, {0, 16});
  ASSERT_TRUE(index.insert(q, {16, 16}, 10).backing_kept);
  EXPECT_EQ(index.match(q, static_cast<std::int64_t>(q.size()) - 1).runs, (Runs{{0, 10}, {16, 5}}));
  EXPECT_EQ(index.match(q, 12).length, 12);
  EXPECT_EQ(index.match(q, 10).runs, (Runs{{0, 10}}));
  EXPECT_EQ(index.match(q, 4).runs, (Runs{{0, 4}}));
  EXPECT_EQ(index.match(q, 0).length, 0);
  EXPECT_EQ(index.match(q, -3).length, 0);
  EXPECT_TRUE(index.match(q, 0).runs.empty());
}

TEST(PrefixIndex, InsertAfterASharedPrefixPointsIntoItsOwnBacking) {
  PrefixIndex index;
  const Tokens a = iota(1, 10);
  insert_new(index, a, {0, 16});
  // A request that leased a's 10 tokens computed 2 more into its own extent at 48.
  const Tokens c = concat(a, {11, 12});
  PrefixInsert r = index.insert(c, {48, 16}, 10);
  EXPECT_EQ(r.new_tokens, 2);
  EXPECT_EQ(index.match(c, kAll).runs, (Runs{{0, 10}, {48, 2}}));
  // first_pos 4, but tokens 4..11 are cached already: only 12, 13 become a node, at 64 + (12 − 4).
  const Tokens d = concat(c, {13, 14});
  r = index.insert(d, {64, 16}, 4);
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_EQ(r.new_tokens, 2);
  EXPECT_EQ(index.match(d, kAll).runs, (Runs{{0, 10}, {48, 2}, {72, 2}}));
  EXPECT_EQ(index.validate(), "");
}

TEST(PrefixIndex, FullyCachedInsertLeavesTheBackingToTheCaller) {
  PrefixIndex index;
  const Tokens a = iota(1, 10);
  insert_new(index, a, {0, 16});
  const PrefixStats before = index.stats();
  for (const Tokens& t : {a, iota(1, 5)}) {  // the whole edge, and a prefix ending mid-edge
    const PrefixInsert r = index.insert(t, {16, 16}, 0);
    EXPECT_EQ(r.status, Status::kOk);
    EXPECT_EQ(r.new_tokens, 0);
    EXPECT_FALSE(r.backing_kept);
    EXPECT_EQ(index.validate(), "");
  }
  const PrefixStats after = index.stats();
  EXPECT_EQ(after.nodes, before.nodes);
  EXPECT_EQ(after.backings, 1);
  EXPECT_EQ(after.backing_slots, 16);
  // An empty tail with an empty backing is fine too.
  EXPECT_FALSE(index.insert(a, {0, 0}, 10).backing_kept);
}

TEST(PrefixIndex, BadInsertsAreRefusedAndChangeNothing) {
  PrefixIndex index;
  const Tokens a = iota(1, 10);
  insert_new(index, a, {32, 16});
  const Tokens b = concat(iota(1, 4), iota(70, 8));
  struct Case {
    const char* what;
    Extent backing;
    std::int64_t first_pos;
  };
  for (const Case& c :
       {Case{"prefix not cached", {64, 16}, 6},  // only 4 tokens of b are
        Case{"first_pos past the end", {64, 16}, 13}, Case{"negative first_pos", {64, 16}, -1},
        Case{"backing too short", {64, 8}, 0},
        Case{"overlaps the held backing from below", {24, 16}, 0},
        Case{"overlaps the held backing from above", {40, 16}, 0},
        Case{"negative offset", {-16, 16}, 0}}) {
    const PrefixInsert r = index.insert(b, c.backing, c.first_pos);
    EXPECT_EQ(r.status, Status::kInvalidArgument) << c.what;
    EXPECT_FALSE(r.backing_kept) << c.what;
    EXPECT_EQ(index.stats().nodes, 1) << c.what;
    EXPECT_EQ(index.validate(), "") << c.what;
  }
  EXPECT_EQ(index.insert(b, {48, 16}, 4).status, Status::kOk);  // touching is not overlapping
  EXPECT_EQ(index.acquire(b, 13), std::nullopt);                // longer than b
  EXPECT_EQ(index.acquire(concat(a, {5}), 11), std::nullopt);   // not cached
  EXPECT_EQ(index.acquire(a, -1), std::nullopt);
  EXPECT_EQ(index.release(12345), Status::kInvalidArgument);
  const auto lease = index.acquire(a, 10);
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(index.release(*lease), Status::kOk);
  EXPECT_EQ(index.release(*lease), Status::kInvalidArgument);
  EXPECT_EQ(index.validate(), "");
}

// Two leases on a's node, 3 and 8 tokens long; b's insert splits the node after 4 tokens, so the
// short lease now ends in the upper half and the long one in the lower half.
void split_under_leases(bool long_first) {
  PrefixIndex index;
  const Tokens a = iota(1, 10);
  insert_new(index, a, {0, 16});
  const auto short_lease = index.acquire(a, 3);
  const auto long_lease = index.acquire(a, 8);  // ends mid-edge: pins the whole node
  ASSERT_TRUE(short_lease && long_lease);
  EXPECT_EQ(index.reclaimable_slots(), 0);
  EXPECT_EQ(index.stats().leases, 2);

  const Tokens b = concat(iota(1, 4), iota(70, 8));
  insert_new(index, b, {16, 16});
  EXPECT_EQ(index.stats().nodes, 3);
  EXPECT_EQ(index.reclaimable_slots(), 16);  // only b's backing
  EXPECT_EQ(index.evict(kAll), (Extents{{16, 16}}));
  EXPECT_EQ(index.validate(), "");
  EXPECT_EQ(index.match(a, kAll).runs, (Runs{{0, 10}}));  // both halves stay

  // After the first release the other lease still pins a's backing; nothing can go.
  ASSERT_EQ(index.release(long_first ? *long_lease : *short_lease), Status::kOk);
  EXPECT_EQ(index.validate(), "");
  EXPECT_EQ(index.reclaimable_slots(), 0);
  EXPECT_TRUE(index.evict(kAll).empty());
  EXPECT_EQ(index.match(a, kAll).length, 10);

  ASSERT_EQ(index.release(long_first ? *short_lease : *long_lease), Status::kOk);
  EXPECT_EQ(index.validate(), "");
  EXPECT_EQ(index.reclaimable_slots(), 16);
  EXPECT_EQ(index.evict(1), (Extents{{0, 16}}));  // both halves, leaves first
  EXPECT_EQ(index.validate(), "");
  EXPECT_EQ(index.stats().nodes, 0);
  EXPECT_EQ(index.match(a, kAll).length, 0);
}

TEST(PrefixIndex, SplitUnderLeasesPinsBothHalvesUntilTheLastReleaseLongFirst) {
  split_under_leases(true);
}

TEST(PrefixIndex, SplitUnderLeasesPinsBothHalvesUntilTheLastReleaseShortFirst) {
  split_under_leases(false);
}

TEST(PrefixIndex, EvictsLeastRecentLeavesFirstUnderPressure) {
  PrefixIndex index;
  const Tokens p = iota(1, 8);
  const Tokens q = concat(p, {9, 10});
  const Tokens r = iota(50, 6);
  const Tokens s = iota(80, 6);
  insert_new(index, p, {0, 16});                           // t1
  ASSERT_TRUE(index.insert(q, {16, 16}, 8).backing_kept);  // t2: q under p, touches p
  insert_new(index, r, {32, 16});                          // t3
  insert_new(index, s, {48, 16});                          // t4
  const auto lease = index.acquire(r, 6);                  // t5: r is now the newest
  ASSERT_TRUE(lease.has_value());
  ASSERT_EQ(index.release(*lease), Status::kOk);
  EXPECT_EQ(index.reclaimable_slots(), 64);

  // Leaves by age: q (t2), s (t4), r (t5). p (t2) is no leaf until q goes, then the oldest.
  EXPECT_EQ(index.evict(1), (Extents{{16, 16}}));
  EXPECT_EQ(index.validate(), "");
  EXPECT_EQ(index.match(q, kAll).length, 8);
  // 20 slots: p (16) is not enough, s follows.
  EXPECT_EQ(index.evict(20), (Extents{{0, 16}, {48, 16}}));
  EXPECT_EQ(index.validate(), "");
  EXPECT_EQ(index.reclaimable_slots(), 16);
  EXPECT_EQ(index.match(r, kAll).length, 6);
  EXPECT_EQ(index.evict(0), Extents{});
  EXPECT_EQ(index.evict(100), (Extents{{32, 16}}));
  EXPECT_TRUE(index.evict(100).empty());
  EXPECT_EQ(index.stats().backings, 0);
  EXPECT_EQ(index.validate(), "");
}

TEST(PrefixIndex, LeasedPathsAreNeverEvicted) {
  PrefixIndex index;
  const Tokens p = iota(1, 8);
  const Tokens q = concat(p, {9, 10});
  const Tokens r = iota(50, 6);
  insert_new(index, p, {0, 16});
  ASSERT_TRUE(index.insert(q, {16, 16}, 8).backing_kept);
  insert_new(index, r, {32, 16});
  const auto lease = index.acquire(q, 9);  // p and (mid-edge) q
  ASSERT_TRUE(lease.has_value());
  insert_new(index, iota(60, 3), {48, 16});  // newer than everything
  EXPECT_EQ(index.reclaimable_slots(), 32);
  EXPECT_EQ(index.evict(kAll), (Extents{{32, 16}, {48, 16}}));
  EXPECT_EQ(index.validate(), "");
  EXPECT_EQ(index.match(q, kAll).runs, (Runs{{0, 8}, {16, 2}}));
  EXPECT_EQ(index.reclaimable_slots(), 0);
  ASSERT_EQ(index.release(*lease), Status::kOk);
  EXPECT_EQ(index.reclaimable_slots(), 32);
  EXPECT_EQ(index.evict(kAll), (Extents{{16, 16}, {0, 16}}));
}

// A leaf whose backing is pinned higher up its chain would free nothing: it stays cached.
TEST(PrefixIndex, LeafOfAPinnedBackingStaysCached) {
  PrefixIndex index;
  const Tokens a = iota(1, 10);
  insert_new(index, a, {0, 16});
  const auto lease = index.acquire(a, 4);
  ASSERT_TRUE(lease.has_value());
  insert_new(index, concat(iota(1, 4), {77}), {16, 16});  // splits a exactly at the lease's end
  EXPECT_EQ(index.stats().nodes, 3);
  EXPECT_EQ(index.reset(), (Extents{{16, 16}}));
  EXPECT_EQ(index.match(a, kAll).runs, (Runs{{0, 10}}));  // a's unleased lower half is kept
  EXPECT_EQ(index.validate(), "");
}

TEST(PrefixIndex, ResetFreesEveryUnpinnedBacking) {
  PrefixIndex index;
  for (std::int64_t i = 0; i < 5; ++i)
    insert_new(index, iota(static_cast<TokenId>(100 * i), 5 + i), {32 * i, 32});
  ASSERT_TRUE(index.insert(concat(iota(0, 5), {7}), {160, 16}, 5).backing_kept);
  const auto lease = index.acquire(iota(200, 7), 7);
  ASSERT_TRUE(lease.has_value());
  PrefixStats s = index.stats();
  EXPECT_EQ(s.nodes, 6);
  EXPECT_EQ(s.cached_tokens, 5 + 6 + 7 + 8 + 9 + 1);
  EXPECT_EQ(s.backings, 6);
  EXPECT_EQ(s.backing_slots, 5 * 32 + 16);
  EXPECT_EQ(s.reclaimable_slots, 4 * 32 + 16);
  EXPECT_EQ(s.leases, 1);

  Extents freed = index.reset();
  std::sort(freed.begin(), freed.end(), [](Extent x, Extent y) { return x.offset < y.offset; });
  EXPECT_EQ(freed, (Extents{{0, 32}, {32, 32}, {96, 32}, {128, 32}, {160, 16}}));
  EXPECT_EQ(index.validate(), "");
  s = index.stats();
  EXPECT_EQ(s.nodes, 1);
  EXPECT_EQ(s.backings, 1);
  EXPECT_EQ(s.reclaimable_slots, 0);
  ASSERT_EQ(index.release(*lease), Status::kOk);
  EXPECT_EQ(index.reset(), (Extents{{64, 32}}));
  s = index.stats();
  EXPECT_EQ(s.nodes + s.cached_tokens + s.backings + s.backing_slots + s.leases, 0);
  EXPECT_EQ(index.validate(), "");
}

// Admission / finish / abort / evict as a policy would drive it, over a real Arena. The shadow
// records which (sequence, position) each slot's K/V was computed for, so every run a match returns
// is checked to hold exactly the query's prefix; leased prefixes must keep their runs; everything
// inserted since the last eviction that removed tokens must still be found.
TEST(PrefixIndex, RandomOperationsKeepRunsTrueToTheirTokens) {
  constexpr std::int64_t kGranule = 16, kCapacity = 48 * kGranule;
  constexpr TokenId kVocab = 3;  // few token ids: many shared prefixes and splits
  std::mt19937_64 rng(11);
  auto uniform = [&](std::int64_t n) {
    return static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(n));
  };
  Arena arena(kCapacity, kGranule);
  PrefixIndex index;

  std::vector<Tokens> sequences;  // every sequence whose K/V was ever computed
  struct Owner {
    std::int64_t sequence = -1;  // -1: no K/V (free, or not written)
    std::int64_t position = 0;
  };
  std::vector<Owner> shadow(kCapacity);
  std::map<std::int64_t, std::int64_t> held;  // backings the index holds: offset → length
  std::vector<Tokens> guaranteed;  // inserted since the last eviction that removed tokens
  struct Request {
    Tokens tokens;
    std::optional<LeaseId> lease;
    std::int64_t shared = 0;  // leased prefix length
    Runs runs;                // its runs at admission
  };
  std::vector<Request> running;
  struct {
    int hits = 0, unkept = 0, evict_to_fit = 0, removals = 0;
  } seen;  // the mix of cases the run reached, so that it cannot silently degenerate

  auto lcp = [](const Tokens& x, const Tokens& y) {
    std::int64_t n = 0;
    while (n < static_cast<std::int64_t>(std::min(x.size(), y.size())) &&
           x[static_cast<std::size_t>(n)] == y[static_cast<std::size_t>(n)])
      ++n;
    return n;
  };
  auto random_tokens = [&](std::int64_t n) {
    Tokens t;
    for (std::int64_t i = 0; i < n; ++i) t.push_back(static_cast<TokenId>(uniform(kVocab)));
    return t;
  };
  // Each run slot must hold K/V computed for exactly the query's prefix up to that position.
  auto check_runs = [&](const Tokens& q, const PrefixMatch& m) {
    std::int64_t pos = 0;
    for (const SlotRun& run : m.runs) {
      for (std::int64_t i = 0; i < run.length; ++i, ++pos) {
        const Owner& o = shadow[static_cast<std::size_t>(run.offset + i)];
        if (o.sequence < 0 || o.position != pos) return false;
        const Tokens& s = sequences[static_cast<std::size_t>(o.sequence)];
        if (!std::equal(q.begin(), q.begin() + pos + 1, s.begin())) return false;
      }
    }
    return pos == m.length;
  };
  auto to_arena = [&](Extent e) {
    arena.release(e.offset, e.length);
    for (std::int64_t s = e.offset; s < e.end(); ++s) shadow[static_cast<std::size_t>(s)] = {};
  };
  auto free_backings = [&](const Extents& freed) {
    for (const Extent& e : freed) {
      ASSERT_EQ(held.erase(e.offset), 1u);
      to_arena(e);
    }
  };
  auto evict = [&](std::int64_t need) {
    const PrefixStats before = index.stats();
    const Extents freed = index.evict(need);
    std::int64_t total = 0;
    for (const Extent& e : freed) total += e.length;
    EXPECT_EQ(before.reclaimable_slots - total, index.reclaimable_slots());
    // Stops at the first backing that reaches `need`; short of it only when nothing is left.
    if (total < need) {
      EXPECT_EQ(index.reclaimable_slots(), 0);
    }
    if (!freed.empty()) {
      EXPECT_LT(total - freed.back().length, need);
    }
    if (index.stats().cached_tokens < before.cached_tokens) {
      guaranteed.clear();
      ++seen.removals;
    }
    free_backings(freed);
  };

  const std::int64_t ops = odma::testing::scaled(20000, 2000);
  for (std::int64_t op = 0; op < ops; ++op) {
    SCOPED_TRACE("op " + std::to_string(op));
    const std::int64_t kind = uniform(10);
    if (kind < 4 && running.size() < 8) {
      // Admission: a prompt that extends some earlier sequence's prefix, or a fresh one.
      Tokens prompt;
      if (!sequences.empty() && uniform(4) != 0) {
        const Tokens& base = sequences[static_cast<std::size_t>(
            uniform(static_cast<std::int64_t>(sequences.size())))];
        prompt.assign(base.begin(),
                      base.begin() + uniform(static_cast<std::int64_t>(base.size()) + 1));
      }
      prompt = concat(prompt, random_tokens(1 + uniform(6)));
      const auto len = static_cast<std::int64_t>(prompt.size());
      const std::int64_t cap = uniform(3) == 0 ? uniform(len + 1) : len - 1;
      const PrefixMatch m = index.match(prompt, cap);
      ASSERT_LE(m.length, cap);
      ASSERT_TRUE(check_runs(prompt, m));
      std::int64_t must = 0;
      for (const Tokens& g : guaranteed) must = std::max(must, lcp(prompt, g));
      for (const Request& r : running)
        must = std::max(must, lcp(prompt, Tokens(r.tokens.begin(), r.tokens.begin() + r.shared)));
      ASSERT_GE(m.length, std::min(must, cap));
      if (m.length > 0) ++seen.hits;
      ASSERT_GE(index.match(prompt, kAll).length, m.length);
      Request r{prompt, index.acquire(prompt, m.length), m.length, m.runs};
      ASSERT_TRUE(r.lease.has_value());
      running.push_back(std::move(r));
    } else if (kind < 8 && !running.empty()) {
      // Finish (or, one time in four, abort): the request computed its tail and some output.
      const auto at = static_cast<std::size_t>(uniform(static_cast<std::int64_t>(running.size())));
      Request r = std::move(running[at]);
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(at));
      if (uniform(4) != 0) {
        const Tokens tokens = concat(r.tokens, random_tokens(1 + uniform(20)));
        const auto own = static_cast<std::int64_t>(tokens.size()) - r.shared;
        const std::int64_t length = arena.round_up(own);
        auto offset = arena.allocate(length, 1);
        if (!offset) {
          ++seen.evict_to_fit;
          evict(length);
          offset = arena.allocate(length, 1);
        }
        if (offset) {
          const auto seq = static_cast<std::int64_t>(sequences.size());
          sequences.push_back(tokens);
          for (std::int64_t i = 0; i < own; ++i)
            shadow[static_cast<std::size_t>(*offset + i)] = {seq, r.shared + i};
          const std::int64_t cached = index.match(tokens, kAll).length;
          const PrefixInsert ins = index.insert(tokens, {*offset, length}, r.shared);
          ASSERT_EQ(ins.status, Status::kOk);
          ASSERT_EQ(ins.new_tokens, static_cast<std::int64_t>(tokens.size()) - cached);
          ASSERT_EQ(ins.backing_kept, ins.new_tokens > 0);
          if (ins.backing_kept) {
            held[*offset] = length;
          } else {
            to_arena({*offset, length});
            ++seen.unkept;
          }
          guaranteed.push_back(tokens);
          const PrefixMatch m = index.match(tokens, kAll);
          ASSERT_EQ(m.length, static_cast<std::int64_t>(tokens.size()));
          ASSERT_TRUE(check_runs(tokens, m));
        }
      }
      ASSERT_EQ(index.release(*r.lease), Status::kOk);
    } else if (kind == 8 && uniform(8) == 0) {  // rare: most evictions make room for an insert
      evict(uniform(kCapacity / 2));
    } else if (kind == 9 && uniform(40) == 0) {
      evict(kAll);
      ASSERT_EQ(index.reclaimable_slots(), 0);
    }
    ASSERT_EQ(index.validate(), "");
    ASSERT_EQ(arena.validate(), "");
    // The index holds exactly the backings the model thinks it does.
    const PrefixStats s = index.stats();
    ASSERT_EQ(s.backings, static_cast<std::int64_t>(held.size()));
    ASSERT_EQ(s.backing_slots, kCapacity - arena.free_slots());
    ASSERT_EQ(s.leases, static_cast<std::int64_t>(running.size()));
    // Leased prefixes keep their exact runs.
    for (const Request& r : running) {
      const PrefixMatch m = index.match(r.tokens, r.shared);
      ASSERT_EQ(m.length, r.shared);
      ASSERT_EQ(m.runs, r.runs);
    }
  }
  for (const Request& r : running) ASSERT_EQ(index.release(*r.lease), Status::kOk);
  evict(kAll);
  EXPECT_GT(seen.hits, ops / 10);
  EXPECT_GT(seen.unkept, 0);
  EXPECT_GT(seen.evict_to_fit, 0);
  EXPECT_GT(seen.removals, 0);
  std::printf("%d hits, %d fully cached inserts, %d evictions to fit, %d that removed tokens\n",
              seen.hits, seen.unkept, seen.evict_to_fit, seen.removals);
  EXPECT_EQ(index.stats().backings, 0);
  EXPECT_EQ(arena.free_slots(), kCapacity);
}

// 100k nodes from sequences that share prefixes at random depths; then a deep chain of single-token
// edges (validate and the destructor must not recurse per node).
TEST(PrefixIndex, ScalesToAHundredThousandNodes) {
  const std::int64_t want_nodes = odma::testing::scaled(100000, 5000);
  std::mt19937_64 rng(5);
  PrefixIndex index;
  std::vector<Tokens> sequences;
  std::int64_t offset = 0, slots = 0;
  while (index.stats().nodes < want_nodes) {
    Tokens t;
    if (!sequences.empty()) {  // a cached prefix of an earlier sequence, then ≤ 32 new tokens
      const Tokens& base = sequences[rng() % sequences.size()];
      t.assign(base.begin(), base.begin() + static_cast<std::ptrdiff_t>(rng() % base.size()));
    }
    const auto first_pos = static_cast<std::int64_t>(t.size());
    for (std::uint64_t i = 0, n = 1 + rng() % 32; i < n; ++i)
      t.push_back(static_cast<TokenId>(rng() % 50000));
    const PrefixInsert r = index.insert(t, {offset, 32}, first_pos);
    ASSERT_EQ(r.status, Status::kOk);
    if (r.backing_kept) {
      offset += 32;
      slots += 32;
    }
    sequences.push_back(std::move(t));
  }
  for (const Tokens& t : sequences)
    ASSERT_EQ(index.match(t, kAll).length, static_cast<std::int64_t>(t.size()));
  EXPECT_EQ(index.validate(), "");
  EXPECT_EQ(index.reclaimable_slots(), slots);
  const Extents half = index.evict(slots / 2);
  std::int64_t freed = 0;
  for (const Extent& e : half) freed += e.length;
  EXPECT_GE(freed, slots / 2);
  EXPECT_EQ(index.validate(), "");
  for (const Extent& e : index.reset()) freed += e.length;
  EXPECT_EQ(freed, slots);
  EXPECT_EQ(index.stats().nodes, 0);

  const std::int64_t depth = odma::testing::scaled(3000, 300);
  Tokens chain;
  for (std::int64_t i = 0; i < depth; ++i) {
    chain.push_back(static_cast<TokenId>(i));
    ASSERT_TRUE(index.insert(chain, {16 * i, 16}, i).backing_kept);
  }
  EXPECT_EQ(index.stats().nodes, depth);
  EXPECT_EQ(index.validate(), "");
}

}  // namespace
}  // namespace odma::kv
