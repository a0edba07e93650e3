// Randomized property test: over a million mixed operations (scaled by ODMA_TEST_SCALE) across
// every policy, with validate() after each one. It also plays the engine's part on a slot-level
// copy of the arena — executing each returned CopyOp in order with memmove semantics and writing
// each new token where the allocation says — and checks after every operation that every live
// request's tokens are exactly where its extents put them. Errors and deferrals must leave the
// state unchanged; nothing may leak once every request is gone.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>

#include "kv/policy.h"
#include "policy_table.h"
#include "test_scale.h"

namespace odma::kv {
namespace {

using testing::state_digest;

struct Case {
  std::string name;
  std::string policy;
  PolicyConfig config;
};

PolicyConfig base_config() {
  PolicyConfig c;
  c.capacity_tokens = 1024;
  c.granule = 16;
  c.max_model_len = 256;
  c.s3_max_output = 200;
  c.odma.buckets = 6;
  c.odma.recalibrate_every = 64;
  c.odma.histogram_half_life = 256;
  return c;
}

std::vector<Case> cases() {
  std::vector<Case> all;
  for (const std::string& name : policy_names()) all.push_back({name, name, base_config()});
  Case chained{"odma_chained", "odma", base_config()};
  chained.config.odma.max_extents = 3;
  chained.config.odma.min_extent_tokens = 32;
  chained.config.odma.compaction_max_moves = 4;
  all.push_back(chained);
  return all;
}

// The engine's side: slot contents of one plane. Position p of a request whose tokens are T holds
// T[p]·1024 + p, so a shared prefix (equal tokens at equal positions) reads the same values.
class Plane {
 public:
  explicit Plane(std::int64_t capacity) : slots_(static_cast<std::size_t>(capacity), -1) {}
  void execute(const std::vector<CopyOp>& copies) {
    for (const CopyOp& c : copies) {
      ASSERT_GT(c.length, 0);
      ASSERT_GE(std::min(c.src_offset, c.dst_offset), 0);
      ASSERT_LE(std::max(c.src_offset, c.dst_offset) + c.length,
                static_cast<std::int64_t>(slots_.size()));
      std::copy_n(slots_.begin() + c.src_offset, c.length, tmp_.begin());  // memmove semantics
      std::copy_n(tmp_.begin(), c.length, slots_.begin() + c.dst_offset);
    }
  }
  // Writes positions [from, to) of a request with `tokens` where `a` places them. Writes go to
  // the own extents only (a shared position here would be a bug).
  void write(const std::vector<std::int32_t>& tokens, const Allocation& a, std::int64_t from,
             std::int64_t to) {
    for (std::int64_t p = from; p < to; ++p) {
      ASSERT_GE(p, a.shared_tokens) << "a write into a shared run";
      slots_[static_cast<std::size_t>(slot_of(a, p))] = value(tokens, p);
    }
  }
  bool holds(const std::vector<std::int32_t>& tokens, const Allocation& a) const {
    for (std::int64_t p = 0; p < a.shared_tokens + a.used; ++p) {
      if (slots_[static_cast<std::size_t>(slot_of(a, p))] != value(tokens, p)) return false;
    }
    return true;
  }

 private:
  static std::int64_t value(const std::vector<std::int32_t>& tokens, std::int64_t p) {
    return static_cast<std::int64_t>(tokens[static_cast<std::size_t>(p)]) * 1024 + p;
  }
  static std::int64_t slot_of(const Allocation& a, std::int64_t p) {
    for (const Extent& e : a.shared) {
      if (p < e.length) return e.offset + p;
      p -= e.length;
    }
    for (const Extent& e : a.extents) {
      if (p < e.length) return e.offset + p;
      p -= e.length;
    }
    return -1;
  }
  std::vector<std::int64_t> slots_;
  std::vector<std::int64_t> tmp_ = std::vector<std::int64_t>(slots_.size());
};

struct Request {
  RequestSpec spec;
  std::int32_t truth = 0;  // output length it will reach
  // Prompt then output ids (spec.tokens points here; shared so that copies keep it valid).
  std::shared_ptr<std::vector<std::int32_t>> tokens;
};

class PropertyRun {
 public:
  PropertyRun(const Case& c, std::uint64_t seed)
      : case_(c),
        policy_(make_policy(c.policy, c.config)),
        plane_(policy_->gauges().capacity),
        rng_(seed) {}

  void run(std::int64_t ops) {
    for (std::int64_t op = 0; op < ops && !::testing::Test::HasFatalFailure(); ++op) {
      op_ = op;
      step();
      check();
    }
    drain();
  }

 private:
  std::int64_t uniform(std::int64_t lo, std::int64_t hi) {  // inclusive
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng_);
  }
  RequestId random_live() {
    auto it = std::next(live_.begin(), static_cast<std::ptrdiff_t>(uniform(
                                           0, static_cast<std::int64_t>(live_.size()) - 1)));
    return it->first;
  }

  Request new_request() {
    Request r;
    r.spec.id = next_id_++;
    r.spec.prompt_tokens = static_cast<std::int32_t>(uniform(1, 120));
    r.spec.max_output_tokens =
        static_cast<std::int32_t>(uniform(1, c().max_model_len - r.spec.prompt_tokens));
    r.truth = static_cast<std::int32_t>(uniform(1, r.spec.max_output_tokens));
    r.spec.prediction.output_tokens =
        static_cast<std::int32_t>(std::max<std::int64_t>(0, r.truth + uniform(-40, 40)));
    r.spec.prediction.uncertainty = static_cast<double>(uniform(0, 100)) / 100.0;
    r.spec.prediction.true_output_tokens = uniform(0, 9) == 0 ? -1 : r.truth;
    // Prompts often start with one of a few shared prefixes (system prompts, earlier turns) of
    // random length; the rest, and the output, from a small alphabet so that partial matches
    // happen too.
    r.tokens = std::make_shared<std::vector<std::int32_t>>();
    const std::int32_t n = r.spec.prompt_tokens + r.truth;
    if (uniform(0, 1) == 0) {
      const auto& family = families_[static_cast<std::size_t>(uniform(0, 3))];
      const auto shared = uniform(1, r.spec.prompt_tokens);
      r.tokens->assign(family.begin(), family.begin() + shared);
    }
    while (static_cast<std::int32_t>(r.tokens->size()) < n)
      r.tokens->push_back(static_cast<std::int32_t>(uniform(0, 3)));
    r.spec.tokens = r.tokens.get();
    return r;
  }

  const PolicyConfig& c() const { return case_.config; }

  void admit(Request r) {
    const std::vector<RequestId> ids{r.spec.id};
    const std::uint64_t before = digest(ids);
    const std::int64_t deferrals = policy_->counters().deferrals;
    const std::int64_t evictions = policy_->counters().cache_evictions;
    AdmitResult a = policy_->admit(r.spec);
    ASSERT_FALSE(is_error(a.status)) << to_string(a.status);
    if (a.status == Status::kDeferred) {
      ASSERT_TRUE(a.copies.empty());
      // A deferral may have evicted unread cached ranges trying to make room; nothing else.
      if (policy_->counters().cache_evictions == evictions) {
        ASSERT_EQ(digest(ids), before) << "a deferred admission changed the state";
      }
      ASSERT_EQ(policy_->counters().deferrals, deferrals + 1);
      waiting_.push_back(r);
      return;
    }
    plane_.execute(a.copies);
    const Allocation* alloc = policy_->allocation(r.spec.id);
    ASSERT_NE(alloc, nullptr);
    ASSERT_EQ(alloc->shared_tokens + alloc->used, r.spec.prompt_tokens);
    ASSERT_LT(alloc->shared_tokens, r.spec.prompt_tokens);
    plane_.write(*r.tokens, *alloc, alloc->shared_tokens, r.spec.prompt_tokens);
    live_[r.spec.id] = r;
  }

  // Requeues a request the policy released for recompute (the planner's job in the engine).
  void requeue(RequestId id, std::int64_t used) {
    Request again = live_[id];
    again.spec.generated_before_preemption =
        static_cast<std::int32_t>(used - again.spec.prompt_tokens);
    live_.erase(id);
    if (again.spec.generated_before_preemption < again.spec.max_output_tokens)
      waiting_.push_back(again);
  }

  std::int64_t stored(RequestId id) const {  // positions with K/V, shared ones included
    const Allocation* a = policy_->allocation(id);
    return a->shared_tokens + a->used;
  }

  void grow(RequestId id, std::int64_t total) {
    const std::int64_t used = stored(id);
    for (;;) {
      const std::vector<RequestId> ids{id};
      const std::uint64_t before = digest(ids);
      const std::int64_t evictions = policy_->counters().cache_evictions;
      GrowResult g = policy_->grow(id, total);
      const Status s = g.status;
      const std::string& p = case_.policy;
      ASSERT_FALSE(is_error(s)) << to_string(s);
      if (p == "static") {
        ASSERT_EQ(s, Status::kOk);
      }
      if (p == "s3" || p == "oracle") {
        ASSERT_TRUE(s == Status::kOk || s == Status::kPreempted);
      }
      if (p == "paged") {
        ASSERT_TRUE(s == Status::kOk || s == Status::kChained || s == Status::kNoRoom);
      }
      if (s != Status::kMigrated && s != Status::kGrewInPlace) {
        ASSERT_TRUE(g.copies.empty()) << to_string(s);
      }
      if (s == Status::kPreempted) {
        ASSERT_EQ(policy_->allocation(id), nullptr);
        requeue(id, used);
        return;
      }
      if (s == Status::kNoRoom) {
        if (policy_->counters().cache_evictions == evictions) {  // (evictions are allowed)
          ASSERT_EQ(digest(ids), before) << "kNoRoom changed the state";
        }
        // A victim as a scheduler would choose one: another live request, or the grower itself.
        const RequestId victim = random_live();
        const std::int64_t victim_used = stored(victim);
        ASSERT_EQ(policy_->preempt(victim), Status::kOk);
        ASSERT_EQ(policy_->allocation(victim), nullptr);
        requeue(victim, victim_used);
        if (victim == id) return;
        continue;  // room was freed: the growth is retried
      }
      plane_.execute(g.copies);
      const Allocation* alloc = policy_->allocation(id);
      ASSERT_EQ(alloc->shared_tokens + alloc->used, total);
      ASSERT_GE(alloc->reserved, alloc->used);
      plane_.write(*live_[id].tokens, *alloc, used, total);
      return;
    }
  }

  void misuse() {
    std::vector<RequestId> ids;
    if (!live_.empty()) ids.push_back(random_live());
    const std::uint64_t before = digest(ids);
    const std::int64_t deferrals = policy_->counters().deferrals;
    Status s = Status::kOk;
    switch (uniform(0, 6)) {
      case 0:
        s = policy_->grow(next_id_ + 1000, 10).status;
        break;
      case 1:
        s = policy_->release(next_id_ + 1000);
        break;
      case 2:
        s = policy_->finish(next_id_ + 1000, 1);
        break;
      case 3: {
        Request r = new_request();
        if (!ids.empty())
          r.spec.id = ids[0];
        else
          r.spec.prompt_tokens = 0;
        s = policy_->admit(r.spec).status;
        break;
      }
      case 4:
        if (ids.empty()) return;
        s = policy_->grow(ids[0], policy_->allocation(ids[0])->used - 1).status;
        break;
      case 5:
        if (ids.empty()) return;
        s = policy_->grow(ids[0], live_[ids[0]].spec.total_tokens_cap() + uniform(1, 50)).status;
        break;
      case 6:
        if (ids.empty()) return;
        s = policy_->finish(ids[0], live_[ids[0]].spec.max_output_tokens + 1);
        break;
    }
    ASSERT_TRUE(is_error(s)) << to_string(s);
    ASSERT_EQ(digest(ids), before) << "an error (" << to_string(s) << ") changed the state";
    ASSERT_EQ(policy_->counters().deferrals, deferrals);
  }

  void step() {
    const std::int64_t dice = uniform(0, 99);
    if (dice < 25 || live_.empty()) {
      // Re-queued (deferred or preempted) requests first, as a scheduler would.
      if (!waiting_.empty() && uniform(0, 1) == 0) {
        Request r = waiting_.front();
        waiting_.erase(waiting_.begin());
        admit(r);
      } else {
        admit(new_request());
      }
    } else if (dice < 75) {
      const RequestId id = random_live();
      const Request& r = live_[id];
      const std::int64_t used = stored(id);
      const std::int64_t final_total = r.spec.prompt_tokens + r.truth;
      if (used >= final_total) {
        ASSERT_EQ(policy_->finish(id, r.truth), Status::kOk);
        live_.erase(id);
      } else {
        grow(id, std::min(final_total, used + (uniform(0, 3) == 0 ? uniform(1, 64) : 1)));
      }
    } else if (dice < 85) {
      const RequestId id = random_live();
      ASSERT_EQ(policy_->release(id), Status::kOk);
      live_.erase(id);
    } else {
      misuse();
    }
  }

  void check() {
    ASSERT_EQ(policy_->validate(), "") << case_.name << " op " << op_;
    for (const auto& [id, r] : live_) {
      const Allocation* a = policy_->allocation(id);
      ASSERT_NE(a, nullptr);
      ASSERT_TRUE(plane_.holds(*r.tokens, *a)) << case_.name << " op " << op_ << ": request " << id
                                               << "'s tokens are not where its extents say";
    }
  }

  void drain() {
    if (::testing::Test::HasFatalFailure()) return;
    const KvCounters c = policy_->counters();
    EXPECT_EQ(c.failed_requests, 0);
    EXPECT_GT(c.admitted, 0);
    for (const auto& [id, r] : live_) ASSERT_EQ(policy_->release(id), Status::kOk);
    live_.clear();
    const std::int64_t cached = policy_->gauges().cached;
    EXPECT_EQ(policy_->reset_prefix_cache(), cached);  // nothing is read now
    const KvGauges g = policy_->gauges();
    EXPECT_EQ(g.cached, 0);
    EXPECT_EQ(g.reserved, 0);
    EXPECT_EQ(g.used, 0);
    EXPECT_EQ(g.live_requests, 0);
    EXPECT_EQ(g.free, g.capacity) << "leak";
    EXPECT_EQ(g.largest_free, g.capacity) << "free space not coalesced";
    EXPECT_EQ(policy_->validate(), "");
    summary_ = c;
  }

  std::uint64_t digest(const std::vector<RequestId>& ids) const {
    return state_digest(*policy_, ids);
  }

 public:
  KvCounters summary_;

 private:
  Case case_;
  std::unique_ptr<Policy> policy_;
  Plane plane_;
  std::mt19937_64 rng_;
  std::map<RequestId, Request> live_;
  std::vector<Request> waiting_;
  // Shared prompt prefixes, 256 tokens each.
  std::vector<std::vector<std::int32_t>> families_ = [] {
    std::vector<std::vector<std::int32_t>> f(4);
    std::mt19937 g(7);
    for (auto& v : f)
      for (int i = 0; i < 256; ++i) v.push_back(static_cast<std::int32_t>(4 + g() % 1000));
    return f;
  }();
  RequestId next_id_ = 1;
  std::int64_t op_ = 0;
};

class Property : public ::testing::TestWithParam<Case> {};

TEST_P(Property, MillionOperationsKeepEveryInvariant) {
  // 6 cases × 200,000 = 1.2 M operations at scale 1.
  PropertyRun run(GetParam(), 0x0d3a + std::hash<std::string>{}(GetParam().name));
  run.run(odma::testing::scaled(200000, 5000));
  const KvCounters& c = run.summary_;
  RecordProperty("admitted", std::to_string(c.admitted));
  // The workload must exercise the policy's overflow paths, else the test proves little.
  const std::string& p = GetParam().policy;
  if (p != "static") {  // prefixes were shared, and cached ranges evicted under pressure
    EXPECT_GT(c.prefix_hits, 0);
    EXPECT_GT(c.cache_evictions, 0);
  }
  if (p == "paged") {
    EXPECT_GT(c.chains, 0);
  }
  if (p == "s3" || p == "paged") {
    EXPECT_GT(c.preemptions, 0);
  }
  if (p == "odma") {
    EXPECT_GT(c.grow_in_place, 0);
    EXPECT_GT(c.migrations, 0);
    EXPECT_GT(c.compaction_moves, 0);
    EXPECT_GT(c.recalibrations, 0);
    if (GetParam().config.odma.max_extents > 1) {
      EXPECT_GT(c.chains, 0);
    }
  }
  EXPECT_GT(c.deferrals, 0);
}

INSTANTIATE_TEST_SUITE_P(AllPolicies, Property, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& param) {
                           return param.param.name;
                         });

}  // namespace
}  // namespace odma::kv
