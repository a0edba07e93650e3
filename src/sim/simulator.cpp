#include "sim/simulator.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"

namespace odma::sim {

LatencyStats latency_stats(std::vector<double> values) {
  LatencyStats s;
  s.count = static_cast<std::int64_t>(values.size());
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  double sum = 0;
  for (double v : values) sum += v;
  s.mean = sum / static_cast<double>(values.size());
  auto pct = [&](double q) {
    double pos = q * static_cast<double>(values.size() - 1);
    auto lo = static_cast<std::size_t>(std::floor(pos));
    std::size_t hi = std::min(lo + 1, values.size() - 1);
    return values[lo] + (pos - static_cast<double>(lo)) * (values[hi] - values[lo]);
  };
  s.p50 = pct(0.50);
  s.p90 = pct(0.90);
  s.p99 = pct(0.99);
  return s;
}

namespace {

TimelineSample sample(double now, const kv::Policy& policy) {
  kv::KvGauges g = policy.gauges();
  auto ratio = [](std::int64_t a, std::int64_t b) {
    return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
  };
  return {now, ratio(g.used, g.reserved), ratio(g.used, g.capacity), g.live_requests,
          policy.bucket_edges()};
}

}  // namespace

SimResult simulate(const workload::Trace& trace,
                   const std::vector<kv::LengthPrediction>& predictions,
                   const std::string& policy_name, const CostModel& cost,
                   const SimOptions& options) {
  if (options.sample_every < 0) throw Error("simulate: sample_every must be >= 0");
  TraceDriver driver(trace, predictions, policy_name, options.driver);
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
  r.ttft_s = latency_stats(std::move(ttft));
  r.tpot_s = latency_stats(std::move(tpot));
  r.latency_s = latency_stats(std::move(latency));
  return r;
}

}  // namespace odma::sim
