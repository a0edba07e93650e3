// `odma simulate --replicas N --router R`: N simulated replicas behind a router, at request rates
// one machine cannot reach (docs/simulator.md "Fleets"). Each replica is a kv::Session — the same
// session core as the engine and the single-replica simulator — timed by the same cost model;
// a router assigns every request to a replica when it arrives:
//
//   round-robin      replica k mod N (a plain L4/L7 balancer)
//   least-requests   the fewest requests waiting + running (nginx least_conn, in spirit)
//   least-kv         the shortest queue (waiting), then the lowest KV usage (reserved ÷
//                    capacity): how the Gateway API Inference Extension's endpoint picker scores
//                    pods from odma:num_requests_waiting and odma:kv_cache_usage_perc (KV usage
//                    alone would pile requests onto a replica whose queue holds no KV yet)
//   session-hash     a hash of the request's session key (nginx `hash $http_x_session_id
//                    consistent`, deploy/): a trace has no session ids, so the key is its first
//                    two prefix blocks — a conversation's turns share them (the first block alone
//                    is the Mooncake trace's common system prompt); least-requests without blocks
//   prefix-affinity  the replica whose prefix cache holds the longest prefix of the prompt, among
//                    those within kAffinitySlack requests of the least loaded (SGLang's
//                    cache-aware router balances the same way), ties to the least loaded
//
// With traces that carry prefix blocks, replicas get the requests' synthesised token ids (as
// `odma replay` and `odma simulate` do), so every replica's policy caches prefixes as configured.
//
// Time is discrete-event over every replica at once: a replica's step is planned when it starts,
// takes the cost model's time, and its tokens count as emitted (and its finished requests leave)
// when it ends; arrivals in between are routed with the state at that instant. Ties between
// events go to arrivals first, then replicas in index order, so a run is deterministic.
//
// Figures as the single simulator's (simulator.h): TPS = Σ output tokens ÷ makespan, TTFT/TPOT
// percentiles over completed requests, failed = requests some replica's policy could not serve.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/quantiles.h"
#include "kv/session.h"
#include "sim/cost_model.h"
#include "workload/trace.h"

namespace odma::sim {

enum class Router : std::uint8_t {
  kRoundRobin,
  kLeastRequests,
  kLeastKv,
  kSessionHash,
  kPrefixAffinity
};

// prefix-affinity considers replicas whose waiting + running requests exceed the least loaded's
// by at most this many.
inline constexpr std::size_t kAffinitySlack = 8;

// "round-robin" | "least-requests" | "least-kv" | "session-hash" | "prefix-affinity"; throws
// odma::Error otherwise.
Router parse_router(const std::string& name);
std::string to_string(Router r);

struct FleetOptions {
  std::int32_t replicas = 1;
  Router router = Router::kRoundRobin;
  kv::SessionConfig session;  // every replica's (its policy, KV budget, planner, cap)
};

struct FleetResult {
  std::string policy;
  Router router = Router::kRoundRobin;
  std::int32_t replicas = 0;
  double makespan_s = 0;
  double tps = 0, rps = 0;
  std::int64_t completed = 0, failed = 0, output_tokens = 0;
  QuantileSummary ttft_s, tpot_s, latency_s;
  double mean_batch = 0;      // items per step, over every replica's steps
  double load_imbalance = 0;  // max ÷ mean requests served per replica (1 = even)
  std::int64_t prompt_tokens = 0, prefill_tokens = 0;  // asked / computed (the rest was cached)
  kv::KvCounters counters;                             // summed over replicas
};

// One prediction per request (predictions.size() == trace.requests.size()), arrivals as given.
// Throws odma::Error on bad options.
FleetResult simulate_fleet(const workload::Trace& trace,
                           const std::vector<kv::LengthPrediction>& predictions,
                           const std::string& policy, const CostModel& cost,
                           const FleetOptions& options);

}  // namespace odma::sim
