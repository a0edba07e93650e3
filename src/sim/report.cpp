#include "sim/report.h"

#include "base/table.h"

namespace odma::sim {

namespace {

double ratio(double a, double b) {
  return b > 0 ? a / b : 0.0;
}

std::string ratio_cell(const SimResult& r, const SimResult* base) {
  return base == nullptr ? "-" : fmt(ratio(r.tps, base->tps), 2) + "x";
}

}  // namespace

const SimResult* WorkloadRun::find(const std::string& policy) const {
  for (const SimResult& r : results) {
    if (r.policy == policy) return &r;
  }
  return nullptr;
}

std::string results_table(const WorkloadRun& run) {
  // A trace whose prompts share prefixes (prefix blocks) adds the prefix-cache hit rate: prompt
  // tokens read from the cache ÷ prompt tokens looked up.
  bool shares = false;
  for (const SimResult& r : run.results) shares = shares || r.kv.counters.prefix_queries > 0;
  std::vector<std::string> columns{"policy"};
  if (shares) columns.push_back("prefix hit");
  for (const char* c : {"KV util", "cap usage", "resv eff", "mean batch", "TPS", "RPS",
                        "TTFT p50 s", "TTFT p99 s", "TPOT p50 ms", "TPOT p99 ms", "overflows",
                        "migrations", "preempt", "failed", "TPS/static", "TPS/paged"})
    columns.push_back(c);
  Table t(columns);
  const SimResult* stat = run.find("static");
  const SimResult* paged = run.find("paged");
  for (const SimResult& r : run.results) {
    std::vector<std::string> row{r.policy};
    if (shares) {
      const kv::KvCounters& k = r.kv.counters;
      row.push_back(fmt_percent(
          ratio(static_cast<double>(k.prefix_hits), static_cast<double>(k.prefix_queries))));
    }
    for (std::string cell :
         {fmt_percent(r.kv.kv_utilization), fmt_percent(r.kv.capacity_usage),
          fmt_percent(r.kv.reservation_efficiency), fmt(r.mean_batch, 1), fmt(r.tps, 1),
          fmt(r.rps, 2), fmt(r.ttft_s.p50, 2), fmt(r.ttft_s.p99, 2), fmt(r.tpot_s.p50 * 1e3, 1),
          fmt(r.tpot_s.p99 * 1e3, 1), std::to_string(r.kv.counters.overflows),
          std::to_string(r.kv.counters.migrations), std::to_string(r.kv.counters.preemptions),
          std::to_string(r.kv.counters.failed_requests), ratio_cell(r, stat), ratio_cell(r, paged)})
      row.push_back(std::move(cell));
    t.add_row(row);
  }
  return t.to_markdown();
}

nlohmann::json results_json(const std::vector<WorkloadRun>& runs) {
  nlohmann::json results = nlohmann::json::array();
  for (const WorkloadRun& run : runs) {
    const SimResult* stat = run.find("static");
    const SimResult* paged = run.find("paged");
    for (const SimResult& r : run.results) {
      nlohmann::json j = {{"workload", run.workload},
                          {"device", run.device},
                          {"model_shape", run.model_shape},
                          {"policy", r.policy},
                          {"requests", run.requests},
                          {"capacity_tokens", run.capacity_tokens},
                          {"kv_utilization", r.kv.kv_utilization},
                          {"capacity_usage", r.kv.capacity_usage},
                          {"reservation_efficiency", r.kv.reservation_efficiency},
                          {"mean_batch", r.mean_batch},
                          {"mean_concurrency", r.kv.mean_concurrency},
                          {"tps", r.tps},
                          {"rps", r.rps},
                          {"makespan_s", r.makespan_s},
                          {"steps", r.kv.steps},
                          {"completed", r.kv.completed},
                          {"output_tokens", r.output_tokens},
                          {"ttft_p50_s", r.ttft_s.p50},
                          {"ttft_p99_s", r.ttft_s.p99},
                          {"tpot_p50_s", r.tpot_s.p50},
                          {"tpot_p99_s", r.tpot_s.p99},
                          {"overflows", r.kv.counters.overflows},
                          {"grow_in_place", r.kv.counters.grow_in_place},
                          {"migrations", r.kv.counters.migrations},
                          {"chains", r.kv.counters.chains},
                          {"copied_tokens", r.kv.counters.copied_tokens},
                          {"preemptions", r.kv.counters.preemptions},
                          {"failed_requests", r.kv.counters.failed_requests},
                          {"prefix_cache_queries", r.kv.counters.prefix_queries},
                          {"prefix_cache_hits", r.kv.counters.prefix_hits},
                          {"cache_evictions", r.kv.counters.cache_evictions},
                          {"copy_s", r.copy_s},
                          {"attention_s", r.attention_s},
                          {"linear_s", r.linear_s}};
      if (stat != nullptr) j["tps_vs_static"] = ratio(r.tps, stat->tps);
      if (paged != nullptr) j["tps_vs_paged"] = ratio(r.tps, paged->tps);
      results.push_back(std::move(j));
    }
  }
  return {{"results", results}};
}

std::vector<PlotPanel> timeline_panels(const WorkloadRun& run) {
  const std::string where = run.workload + " on " + run.device + " (" + run.model_shape + ")";
  PlotPanel util{
      "KV utilization (stored / reserved) — " + where, "time (s)", "KV utilization", {}, true};
  for (const SimResult& r : run.results) {
    PlotSeries se{r.policy, {}, ""};
    for (const TimelineSample& s : r.timeline) se.points.emplace_back(s.time_s, s.kv_utilization);
    util.series.push_back(std::move(se));
  }
  std::vector<PlotPanel> panels{std::move(util)};
  const SimResult* bucketed = run.find("odma");
  if (bucketed == nullptr) bucketed = run.find("s3");
  if (bucketed != nullptr) {
    PlotPanel edges{bucketed->policy + " bucket upper edges over time — " + where,
                    "time (s)",
                    "output tokens",
                    {},
                    true};
    std::size_t k = 0;
    for (const TimelineSample& s : bucketed->timeline) k = std::max(k, s.bucket_edges.size());
    for (std::size_t e = 0; e < k; ++e) {
      PlotSeries se{e == 0 ? "edges (one line each)" : "", {}, "#1f77b4"};
      for (const TimelineSample& s : bucketed->timeline) {
        if (e < s.bucket_edges.size()) se.points.emplace_back(s.time_s, s.bucket_edges[e]);
      }
      edges.series.push_back(std::move(se));
    }
    panels.push_back(std::move(edges));
  }
  return panels;
}

}  // namespace odma::sim
