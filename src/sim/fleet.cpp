#include "sim/fleet.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <unordered_map>

#include "base/error.h"
#include "workload/prefix_blocks.h"

namespace odma::sim {
namespace {

constexpr double kNever = std::numeric_limits<double>::infinity();

struct Replica {
  explicit Replica(const kv::SessionConfig& c) : session(c) {}
  kv::Session session;
  bool busy = false;    // a step is under way
  double step_end = 0;  // when it ends
  kv::StepPlan plan;    // the step under way
  std::int64_t steps = 0, items = 0, served = 0;
};

struct Fleet {
  const workload::Trace& trace;
  const std::vector<kv::LengthPrediction>& predictions;
  const CostModel& cost;
  std::vector<std::unique_ptr<Replica>> replicas;
  std::vector<std::int32_t> true_len;
  std::vector<double> first_token;
  std::vector<double> ttft, tpot, latency;
  std::int64_t failed = 0, output_tokens = 0, completed = 0, prompt_tokens = 0;
  double makespan = 0;
  std::size_t round_robin = 0;
  std::unordered_map<kv::RequestId, std::vector<std::int32_t>> tokens = {};  // synthesised prompts
  std::int64_t prefill_tokens = 0;

  std::size_t route(Router router, const workload::TraceRequest& t,
                    const std::vector<std::int32_t>* prompt) {
    const std::size_t n = replicas.size();
    if (router == Router::kRoundRobin) return round_robin++ % n;
    auto waiting = [&](std::size_t i) { return replicas[i]->session.waiting(); };
    auto load = [&](std::size_t i) { return waiting(i) + replicas[i]->session.running(); };
    std::size_t least = 0;
    for (std::size_t i = 1; i < n; ++i)
      if (load(i) < load(least)) least = i;
    if (router == Router::kSessionHash) {
      if (t.prefix_blocks.empty()) return least;
      std::uint64_t key = 1469598103934665603ULL;  // FNV-1a over the first two block ids
      for (std::size_t b = 0; b < std::min<std::size_t>(2, t.prefix_blocks.size()); ++b)
        key = (key ^ t.prefix_blocks[b]) * 1099511628211ULL;
      return static_cast<std::size_t>(key % n);
    }
    if (router == Router::kPrefixAffinity) {
      if (prompt == nullptr) return least;
      std::size_t best = least;
      std::int64_t best_hit = replicas[least]->session.policy().cached_prefix(*prompt);
      for (std::size_t i = 0; i < n; ++i) {
        if (i == least || load(i) > load(least) + kAffinitySlack) continue;
        const std::int64_t hit = replicas[i]->session.policy().cached_prefix(*prompt);
        if (hit > best_hit || (hit == best_hit && load(i) < load(best))) {
          best = i;
          best_hit = hit;
        }
      }
      return best;
    }
    auto kv_usage = [&](std::size_t i) {
      const kv::KvGauges g = replicas[i]->session.policy().gauges();
      return g.capacity > 0 ? static_cast<double>(g.reserved) / static_cast<double>(g.capacity) : 0;
    };
    std::size_t best = 0;
    for (std::size_t i = 1; i < n; ++i) {
      // least-kv as the inference gateway's endpoint picker scores: the shortest queue first (KV
      // usage alone ignores waiting requests, which hold no KV yet), then the lowest KV usage.
      const bool better = router == Router::kLeastRequests
                              ? load(i) < load(best)
                              : waiting(i) < waiting(best) ||
                                    (waiting(i) == waiting(best) && kv_usage(i) < kv_usage(best));
      if (better) best = i;
    }
    return best;
  }

  // Plans the replica's next step at `now`; idle when there is nothing to run.
  void start_step(Replica& r, double now) {
    for (;;) {
      if (r.session.idle()) {
        r.busy = false;
        return;
      }
      r.plan = r.session.plan();
      failed += static_cast<std::int64_t>(r.plan.failed.size());
      if (!r.plan.items.empty()) break;
      (void)r.session.commit({});  // only failures or deferrals this round: try again
    }
    StepWork work;
    for (const kv::WorkItem& w : r.plan.items) {
      cost.add_item(work, w, r.session.policy().allocation(w.id));
      if (w.kind == kv::WorkKind::kPrefill) prefill_tokens += w.n_tokens;
    }
    cost.add_copies(work, r.plan.copies);
    r.busy = true;
    r.step_end = now + cost.step_time(work).total();
    ++r.steps;
    r.items += static_cast<std::int64_t>(r.plan.items.size());
  }

  void end_step(Replica& r) {
    const double now = r.step_end;
    std::vector<kv::RequestId> finished;
    for (const kv::WorkItem& w : r.plan.items) {
      if (!w.emits_token) continue;
      if (first_token[w.id] < 0) first_token[w.id] = now;
      if (r.session.generated(w.id) + 1 >= true_len[w.id]) finished.push_back(w.id);
    }
    for (kv::RequestId id : r.plan.failed) tokens.erase(id);
    for (const kv::Completion& c : r.session.commit(finished)) {
      tokens.erase(c.id);
      const double arrival = trace.requests[c.id].arrival_s;
      const double first = first_token[c.id] - arrival, lat = now - arrival;
      ttft.push_back(first);
      latency.push_back(lat);
      if (c.output_tokens > 1) tpot.push_back((lat - first) / (c.output_tokens - 1));
      output_tokens += c.output_tokens;
      ++completed;
      ++r.served;
      makespan = now;
    }
    start_step(r, now);
  }
};

}  // namespace

Router parse_router(const std::string& name) {
  if (name == "round-robin") return Router::kRoundRobin;
  if (name == "least-requests") return Router::kLeastRequests;
  if (name == "least-kv") return Router::kLeastKv;
  if (name == "session-hash") return Router::kSessionHash;
  if (name == "prefix-affinity") return Router::kPrefixAffinity;
  throw Error("--router " + name +
              ": expected round-robin, least-requests, least-kv, session-hash or prefix-affinity");
}

std::string to_string(Router r) {
  switch (r) {
    case Router::kRoundRobin:
      return "round-robin";
    case Router::kLeastRequests:
      return "least-requests";
    case Router::kLeastKv:
      return "least-kv";
    case Router::kSessionHash:
      return "session-hash";
    case Router::kPrefixAffinity:
      return "prefix-affinity";
  }
  return "?";
}

FleetResult simulate_fleet(const workload::Trace& trace,
                           const std::vector<kv::LengthPrediction>& predictions,
                           const std::string& policy, const CostModel& cost,
                           const FleetOptions& options) {
  if (options.replicas < 1) throw Error("--replicas must be >= 1");
  if (predictions.size() != trace.requests.size())
    throw Error("fleet: " + std::to_string(predictions.size()) + " predictions for " +
                std::to_string(trace.requests.size()) + " requests");
  kv::SessionConfig config = options.session;
  config.policy = policy;
  Fleet f{trace,
          predictions,
          cost,
          {},
          std::vector<std::int32_t>(trace.requests.size()),
          std::vector<double>(trace.requests.size(), -1.0),
          {},
          {},
          {},
          0,
          0,
          0,
          0,
          0,
          0};
  for (std::int32_t i = 0; i < options.replicas; ++i)
    f.replicas.push_back(std::make_unique<Replica>(config));
  const kv::Session& any = f.replicas.front()->session;
  const std::int32_t cap = any.config().max_output_tokens;

  std::size_t next = 0;
  for (;;) {
    Replica* due = nullptr;  // the replica whose step ends first
    for (auto& r : f.replicas)
      if (r->busy && (due == nullptr || r->step_end < due->step_end)) due = r.get();
    const double arrival = next < trace.requests.size() ? trace.requests[next].arrival_s : kNever;
    if (due == nullptr && arrival == kNever) break;
    if (due == nullptr || arrival <= due->step_end) {
      const workload::TraceRequest& t = trace.requests[next];
      const std::vector<std::int32_t>* prompt = nullptr;
      if (!t.prefix_blocks.empty() && trace.block_tokens > 0 && t.prompt_tokens >= 1) {
        // Ids in [1000, 150000) as the single-replica drivers make them: equal blocks, equal ids.
        prompt = &f.tokens
                      .emplace(next, workload::synthesize_prompt(t.prefix_blocks, t.prompt_tokens,
                                                                 trace.block_tokens, 1000, 150000))
                      .first->second;
      }
      Replica& r = *f.replicas[f.route(options.router, t, prompt)];
      f.prompt_tokens += std::max(1, t.prompt_tokens);
      kv::RequestSpec spec;
      spec.tokens = prompt;
      spec.id = next;
      spec.prompt_tokens = std::max(1, t.prompt_tokens);
      spec.max_output_tokens = any.cap_for(spec.prompt_tokens, cap);
      spec.prediction = predictions[next];
      spec.prediction.true_output_tokens = std::clamp(t.output_tokens, 1, spec.max_output_tokens);
      f.true_len[next] = spec.prediction.true_output_tokens;
      r.session.submit(spec);
      if (!r.busy) f.start_step(r, arrival);
      ++next;
      continue;
    }
    f.end_step(*due);
  }

  FleetResult res;
  res.policy = policy;
  res.router = options.router;
  res.replicas = options.replicas;
  res.makespan_s = f.makespan;
  res.completed = f.completed;
  res.failed = f.failed;
  res.output_tokens = f.output_tokens;
  res.tps = f.makespan > 0 ? static_cast<double>(f.output_tokens) / f.makespan : 0;
  res.rps = f.makespan > 0 ? static_cast<double>(f.completed) / f.makespan : 0;
  res.ttft_s = summarize(std::move(f.ttft));
  res.tpot_s = summarize(std::move(f.tpot));
  res.latency_s = summarize(std::move(f.latency));
  std::int64_t steps = 0, items = 0, most = 0;
  for (const auto& r : f.replicas) {
    steps += r->steps;
    items += r->items;
    most = std::max(most, r->served);
    const kv::KvCounters k = r->session.policy().counters();
    res.counters.admitted += k.admitted;
    res.counters.overflows += k.overflows;
    res.counters.grow_in_place += k.grow_in_place;
    res.counters.migrations += k.migrations;
    res.counters.chains += k.chains;
    res.counters.preemptions += k.preemptions;
    res.counters.failed_requests += k.failed_requests;
    res.counters.prefix_queries += k.prefix_queries;
    res.counters.prefix_hits += k.prefix_hits;
    res.counters.cache_evictions += k.cache_evictions;
  }
  res.prompt_tokens = f.prompt_tokens;
  res.prefill_tokens = f.prefill_tokens;
  res.failed += res.counters.failed_requests;
  res.mean_batch = steps > 0 ? static_cast<double>(items) / static_cast<double>(steps) : 0;
  const double mean_served = static_cast<double>(f.completed) / options.replicas;
  res.load_imbalance = mean_served > 0 ? static_cast<double>(most) / mean_served : 0;
  return res;
}

}  // namespace odma::sim
