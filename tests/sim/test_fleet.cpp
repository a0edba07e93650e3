// The fleet simulator: one replica is the single simulator exactly; routers spread requests as
// they say; a length-blind router piles long requests onto one replica where least-requests does
// not.
#include <gtest/gtest.h>

#include "base/error.h"
#include "sim/fleet.h"
#include "sim/simulator.h"
#include "sim_fixtures.h"

namespace odma::sim {
namespace {

using testing::device;
using testing::tiny_shape;

workload::Trace poisson_like(int n, double gap, bool alternate_long) {
  workload::Trace t;
  t.name = "fleet";
  for (int i = 0; i < n; ++i) {
    const int out = alternate_long ? (i % 2 == 0 ? 400 : 4) : 40 + (i * 37) % 200;
    t.requests.push_back({"r" + std::to_string(i), "", 20 + (i * 13) % 100, out, gap * i});
  }
  return t;
}

std::vector<kv::LengthPrediction> oracle(const workload::Trace& t) {
  std::vector<kv::LengthPrediction> p;
  for (const auto& r : t.requests) p.push_back({r.output_tokens, 0.0, r.output_tokens});
  return p;
}

kv::SessionConfig session(std::int64_t capacity) {
  kv::SessionConfig c;
  c.kv.capacity_tokens = capacity;
  c.kv.max_model_len = 1024;
  c.max_output_tokens = 512;
  return c;
}

TEST(Fleet, OneReplicaIsTheSingleSimulator) {
  const workload::Trace t = poisson_like(300, 0.002, false);
  const CostModel cost(device(1e11, 1e13, 1e-4), tiny_shape());
  for (const char* policy : {"static", "paged", "odma"}) {
    SimOptions so;
    so.session = session(4000);
    so.sample_every = 0;
    const SimResult single = simulate(t, oracle(t), policy, cost, so);
    FleetOptions fo;
    fo.session = session(4000);
    const FleetResult fleet = simulate_fleet(t, oracle(t), policy, cost, fo);
    EXPECT_EQ(fleet.completed, single.kv.completed) << policy;
    EXPECT_EQ(fleet.output_tokens, single.output_tokens) << policy;
    EXPECT_DOUBLE_EQ(fleet.makespan_s, single.makespan_s) << policy;
    EXPECT_DOUBLE_EQ(fleet.ttft_s.p99, single.ttft_s.p99) << policy;
    EXPECT_EQ(fleet.counters.migrations, single.kv.counters.migrations) << policy;
    EXPECT_EQ(fleet.failed, 0) << policy;
  }
}

TEST(Fleet, RoundRobinSpreadsEvenlyAndEveryRequestCompletes) {
  const workload::Trace t = poisson_like(400, 0.0005, false);
  const CostModel cost(device(1e11, 1e13, 1e-4), tiny_shape());
  for (const char* router : {"round-robin", "least-requests", "least-kv"}) {
    FleetOptions fo;
    fo.replicas = 4;
    fo.router = parse_router(router);
    fo.session = session(3000);
    const FleetResult r = simulate_fleet(t, oracle(t), "odma", cost, fo);
    EXPECT_EQ(r.completed, 400) << router;
    EXPECT_EQ(r.failed, 0) << router;
    EXPECT_LT(r.load_imbalance, 1.3) << router;
    if (fo.router == Router::kRoundRobin) {
      EXPECT_DOUBLE_EQ(r.load_imbalance, 1.0);  // 100 each
    }
  }
}

// Every other request is 100× longer: round-robin sends all long ones to replica 0 of 2, so it
// finishes late; least-requests sees the queue and balances.
TEST(Fleet, LeastRequestsBeatsRoundRobinOnSkewedLengths) {
  const workload::Trace t = poisson_like(200, 0.001, true);
  const CostModel cost(device(1e11, 1e13, 1e-4), tiny_shape());
  FleetOptions fo;
  fo.replicas = 2;
  fo.session = session(20000);
  fo.router = Router::kRoundRobin;
  const FleetResult rr = simulate_fleet(t, oracle(t), "paged", cost, fo);
  fo.router = Router::kLeastRequests;
  const FleetResult lr = simulate_fleet(t, oracle(t), "paged", cost, fo);
  EXPECT_EQ(rr.completed, 200);
  EXPECT_EQ(lr.completed, 200);
  EXPECT_LT(lr.makespan_s, rr.makespan_s);
  EXPECT_LT(lr.latency_s.p99, rr.latency_s.p99);
}

TEST(Fleet, BadOptionsAreNamed) {
  EXPECT_THROW((void)parse_router("random"), Error);
  EXPECT_EQ(to_string(parse_router("least-kv")), "least-kv");
  const workload::Trace t = poisson_like(3, 0.1, false);
  const CostModel cost(device(1e11, 1e13, 1e-4), tiny_shape());
  FleetOptions fo;
  fo.replicas = 0;
  fo.session = session(3000);
  EXPECT_THROW((void)simulate_fleet(t, oracle(t), "odma", cost, fo), Error);
  fo.replicas = 2;
  EXPECT_THROW((void)simulate_fleet(t, {}, "odma", cost, fo), Error);
}

// Nine conversations of six turns on eight replicas: turn k re-sends the conversation's earlier
// blocks (a common system block, the conversation's first block, then one block per turn) after
// turn k − 1 finished. Routers that keep a conversation where its blocks are cached (session-hash
// on its first two blocks, prefix-affinity on what each replica holds) read most of every later
// prompt from the cache; round-robin sends every turn to another replica (9 requests per turn on 8
// replicas), where it finds the system block only.
TEST(Fleet, SessionAndPrefixAwareRoutersFindTheConversationsCachedTurns) {
  workload::Trace t;
  t.name = "conversations";
  t.block_tokens = 16;
  for (int turn = 0; turn < 6; ++turn) {
    for (int c = 0; c < 9; ++c) {
      std::vector<std::uint64_t> blocks = {7, 100u + static_cast<std::uint64_t>(c)};
      for (int k = 0; k <= turn; ++k) blocks.push_back(1000u + 10u * c + k);
      const auto prompt = static_cast<std::int32_t>(16 * blocks.size());
      t.requests.push_back({"c" + std::to_string(c) + "t" + std::to_string(turn), "", prompt, 8,
                            2.0 * turn + 0.01 * c, blocks});
    }
  }
  const CostModel cost(device(1e11, 1e13, 1e-4), tiny_shape());
  auto hit_rate = [&](const char* router, const char* policy) {
    FleetOptions fo;
    fo.replicas = 8;
    fo.router = parse_router(router);
    fo.session = session(8192);
    const FleetResult r = simulate_fleet(t, oracle(t), policy, cost, fo);
    EXPECT_EQ(r.completed, 54) << router;
    EXPECT_EQ(r.failed, 0) << router;
    EXPECT_EQ(r.prompt_tokens - r.prefill_tokens, r.counters.prefix_hits) << router;
    return static_cast<double>(r.counters.prefix_hits) /
           static_cast<double>(r.counters.prefix_queries);
  };
  for (const char* policy : {"odma", "paged"}) {
    const double scattered = hit_rate("round-robin", policy);
    const double session = hit_rate("session-hash", policy);
    const double affinity = hit_rate("prefix-affinity", policy);
    EXPECT_GT(session, scattered + 0.2) << policy;
    EXPECT_GT(affinity, scattered + 0.2) << policy;
    EXPECT_GT(affinity, 0.5) << policy;
  }
  EXPECT_EQ(to_string(parse_router("prefix-affinity")), "prefix-affinity");
  EXPECT_EQ(to_string(parse_router("session-hash")), "session-hash");
}

}  // namespace
}  // namespace odma::sim
