#include "sim/simulator.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"

namespace odma::sim {

namespace {

TimelineSample sample(double now, const kv::Policy& policy) {
  kv::KvGauges g = policy.gauges();
  auto ratio = [](std::int64_t a, std::int64_t b) {
    return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
  };
  return {now, ratio(g.used, g.reserved), ratio(g.used, g.capacity), g.live_requests,
          policy.bucket_edges()};
}

kv::SessionConfig with_policy(const SimOptions& options, const std::string& policy) {
  if (options.sample_every < 0) throw Error("simulate: sample_every must be >= 0");
  kv::SessionConfig c = options.session;
  c.policy = policy;
  return c;
}

// The discrete-event loop over a ready driver (see the top of simulator.h).
SimResult run(TraceDriver& driver, const workload::Trace& trace, const std::string& policy_name,
              const CostModel& cost, const SimOptions& options) {
  const std::size_t n = trace.requests.size();
  std::vector<double> first_token_s(n, -1.0);
  std::vector<double> ttft, tpot, latency;
  ttft.reserve(n);
  tpot.reserve(n);
  latency.reserve(n);
  SimResult r;
  r.policy = policy_name;
  double now = 0;
  std::int64_t items = 0;
  double busy_s = 0;
  driver.submit_until(now);
  for (std::int64_t step = 0;;) {
    if (driver.idle()) {
      if (driver.all_submitted()) break;
      now = std::max(now, driver.next_arrival_s());  // jump over the idle gap
      driver.submit_until(now);
      continue;
    }
    const kv::StepPlan& plan = driver.plan();
    StepWork work;
    for (const kv::WorkItem& w : plan.items)
      cost.add_item(work, w, driver.policy().allocation(w.id));
    cost.add_copies(work, plan.copies);
    StepTime t = cost.step_time(work);
    now += t.total();
    busy_s += t.total();
    r.copy_s += t.copy_s;
    r.attention_s += t.attention_s;
    r.linear_s += t.linear_s;
    items += static_cast<std::int64_t>(plan.items.size());
    for (const kv::WorkItem& w : plan.items) {
      if (w.emits_token && first_token_s[w.id] < 0) first_token_s[w.id] = now;
    }
    if (options.sample_every > 0 && step % options.sample_every == 0) {
      r.timeline.push_back(sample(now, driver.policy()));
    }
    for (const kv::Completion& c : driver.commit()) {
      const double arrival = trace.requests[c.id].arrival_s;
      const double first = first_token_s[c.id] - arrival;
      const double lat = now - arrival;
      ttft.push_back(first);
      latency.push_back(lat);
      if (c.output_tokens > 1) tpot.push_back((lat - first) / (c.output_tokens - 1));
      r.output_tokens += c.output_tokens;
      r.makespan_s = now;
    }
    driver.submit_until(now);
    ++step;
  }
  r.kv = driver.summary();
  r.tps = r.makespan_s > 0 ? static_cast<double>(r.output_tokens) / r.makespan_s : 0;
  r.rps = r.makespan_s > 0 ? static_cast<double>(r.kv.completed) / r.makespan_s : 0;
  r.mean_batch = r.kv.steps > 0 ? static_cast<double>(items) / static_cast<double>(r.kv.steps) : 0;
  r.mean_step_s = r.kv.steps > 0 ? busy_s / static_cast<double>(r.kv.steps) : 0;
  r.ttft_s = summarize(std::move(ttft));
  r.tpot_s = summarize(std::move(tpot));
  r.latency_s = summarize(std::move(latency));
  return r;
}

}  // namespace

SimResult simulate(const workload::Trace& trace,
                   const std::vector<kv::LengthPrediction>& predictions,
                   const std::string& policy_name, const CostModel& cost,
                   const SimOptions& options) {
  TraceDriver driver(trace, predictions, with_policy(options, policy_name));
  return run(driver, trace, policy_name, cost, options);
}

SimResult simulate(const workload::Trace& trace, predict::PredictorSource& source,
                   const std::string& policy_name, const CostModel& cost,
                   const SimOptions& options) {
  TraceDriver driver(trace, source, with_policy(options, policy_name));
  return run(driver, trace, policy_name, cost, options);
}

}  // namespace odma::sim
