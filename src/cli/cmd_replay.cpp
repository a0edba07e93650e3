// `odma replay`: a length trace through every KV policy at one fixed capacity, no model; and, with
// --adaptation, how odma follows a drift with and without online learning (sim/adaptation.h).
#include <cstdio>

#include <nlohmann/json.hpp>

#include "base/args.h"
#include "base/error.h"
#include "base/file_io.h"
#include "base/table.h"
#include "cli/command.h"
#include "cli/policy_list.h"
#include "predict/predictor_source.h"
#include "sim/adaptation.h"
#include "sim/replay.h"
#include "workload/prefix_blocks.h"
#include "workload/trace.h"
#include "workload/workload.h"

namespace odma::cli {
namespace {

constexpr const char* kHelp = R"(usage: odma replay [options]

Replays request lengths through the KV policies at a fixed capacity with no model: requests are
admitted by the policy, generate one token per step until their true output length, and leave.

  --dataset LIST      built-in test-split traces, comma-separated (default: alpaca,nq)
  --drift LIST        one trace in phases instead, e.g. alpaca,alpaca-vicuna (with --requests)
  --requests N        requests of the --drift trace (default 4000)
  --trace FILE        a JSONL trace instead (format: docs/data.md)
  --policies LIST     {policies} (default: all)
  --predictor SPEC    {predictor}
                      (default oracle: the reference setting for reservation quality)
  --online            predict each request when it is admitted and feed every completion back to the
                      predictor (observe), as the serving engine does; default: every prediction
                      made before the run, nothing learnt
  --capacity N        arena size in token slots (default 131072: the KV room a 24 GB MLU370-X4
                      keeps for DeepSeek-R1-Distill-Qwen-7B after its 15 GB of weights)
  --granule N         allocation unit in slots (default 16)
  --block-size N      paged: tokens per block (default 16; vLLM's flag)
  --enable-prefix-caching / --no-enable-prefix-caching
                      automatic prefix caching (default on, as in vLLM; static never caches):
                      traces with prefix blocks (mooncake-conv) share their prompts' leading
                      blocks, and the table gains the prefix-cache hit rate
  --online-rates F,P  online learning: SGD step on the prompt's feature rows (F) and on the shared
                      bin prior (P), default 0.05,0.1 (docs/predictor.md, "Online rates")
  --drift-boost B[,W] | off
                      when odma's bucket drift detector fires, the prior's step (and @auto's) is
                      ×B, decaying to ×1 over W completions (default 4,500)
  --max-tokens N      generation cap per request; static reserves prompt + this (default 2048)
  --max-batch N       running requests at most (default 256)
  --arrival MODE      offline (all at t=0, default) | trace (use arrival_s, 20 ms per step)
  --extents N         odma: extents per request (1 = strict contiguity, default 1)
  --growth RULE       odma: next-bucket (default: one size class at a time) | conditioned
                      (moves re-sized at the predicted quantile given the tokens so far)
  --buckets K         odma: adaptive size classes (default 16)
  --seed S            seed for noisy predictions and the drift trace (default 1)
  --validate          run the invariant validator after every step (slow; builds with
                      -DODMA_DEBUG=2 always do)
  --adaptation        with --drift: odma with --predictor before the run, online, and with the
                      oracle, per --window completions, and after the first --settle completions
                      of the last phase (docs/predictor.md)
  --window N          completions per window of the adaptation table (default 500)
  --settle N          new-distribution completions before the settled figures (default 1000)
  --json PATH         also write the results as JSON

{policy_table})";

nlohmann::json to_json(const std::string& workload, const sim::ReplayResult& r) {
  const sim::ReservationQuality q = sim::reservation_quality(r);
  return {{"workload", workload},
          {"under_reserved", q.under_reserved},
          {"reserved_over_actual", q.reserved_over_actual},
          {"migrations_per_request", q.migrations_per_request},
          {"copied_tokens_per_request", q.copied_tokens_per_request},
          {"policy", r.policy},
          {"kv_utilization", r.kv_utilization},
          {"capacity_usage", r.capacity_usage},
          {"reservation_efficiency", r.reservation_efficiency},
          {"mean_concurrency", r.mean_concurrency},
          {"steps", r.steps},
          {"overflows", r.counters.overflows},
          {"migrations", r.counters.migrations},
          {"preemptions", r.counters.preemptions},
          {"failed_requests", r.counters.failed_requests},
          {"prefix_cache_queries", r.counters.prefix_queries},
          {"prefix_cache_hits", r.counters.prefix_hits},
          {"cache_evictions", r.counters.cache_evictions}};
}

nlohmann::json to_json(const sim::WindowStats& w) {
  return {{"first", w.first},
          {"completions", w.count},
          {"mae", w.mae},
          {"reservation_efficiency", w.reservation_efficiency},
          {"migrations_per_request", w.migrations_per_request},
          {"overflows_per_request", w.overflows_per_request},
          {"failed", w.failed}};
}

// One row per window: the three runs side by side.
void print_adaptation(const std::vector<sim::AdaptationRun>& runs, std::int64_t settle,
                      nlohmann::json& out) {
  Table t({"completions", "MAE offline / online / oracle", "resv eff offline / online / oracle",
           "migr/req offline / online / oracle", "overflow/req offline / online / oracle"});
  auto three = [&](std::size_t i, auto field, int digits) {
    std::string s;
    for (std::size_t r = 0; r < runs.size(); ++r) {
      s += (r > 0 ? " / " : "") +
           (i < runs[r].windows.size() ? fmt(field(runs[r].windows[i]), digits) : "-");
    }
    return s;
  };
  for (std::size_t i = 0; i < runs.front().windows.size(); ++i) {
    const sim::WindowStats& w = runs.front().windows[i];
    t.add_row({std::to_string(w.first) + "-" + std::to_string(w.first + w.count),
               three(
                   i, [](const sim::WindowStats& s) { return s.mae; }, 1),
               three(
                   i, [](const sim::WindowStats& s) { return s.reservation_efficiency; }, 3),
               three(
                   i, [](const sim::WindowStats& s) { return s.migrations_per_request; }, 2),
               three(
                   i, [](const sim::WindowStats& s) { return s.overflows_per_request; }, 2)});
  }
  std::fputs(t.to_markdown().c_str(), stdout);
  std::printf("\nAfter the first %lld completions of the last phase:\n\n",
              static_cast<long long>(settle));
  Table s({"odma predictions", "completions", "MAE", "reservation eff", "migrations / req",
           "overflows / req", "failed (whole run)"});
  for (const sim::AdaptationRun& r : runs) {
    s.add_row({r.label, std::to_string(r.settled.count), fmt(r.settled.mae, 1),
               fmt(r.settled.reservation_efficiency, 3), fmt(r.settled.migrations_per_request, 2),
               fmt(r.settled.overflows_per_request, 2),
               std::to_string(r.result.counters.failed_requests)});
    nlohmann::json windows = nlohmann::json::array();
    for (const auto& w : r.windows) windows.push_back(to_json(w));
    out.push_back({{"predictions", r.label},
                   {"settled", to_json(r.settled)},
                   {"windows", windows},
                   {"failed_requests", r.result.counters.failed_requests}});
  }
  std::fputs(s.to_markdown().c_str(), stdout);
}

int run_replay(const std::vector<std::string>& argv) {
  Args args(argv, {"help", "validate", "online", "adaptation", "enable-prefix-caching",
                   "no-enable-prefix-caching"});
  if (args.has("help")) {
    std::fputs(expand_help(kHelp).c_str(), stdout);
    return 0;
  }
  args.reject_unknown({"help",
                       "validate",
                       "online",
                       "adaptation",
                       "dataset",
                       "drift",
                       "requests",
                       "trace",
                       "policies",
                       "predictor",
                       "capacity",
                       "granule",
                       "max-tokens",
                       "max-batch",
                       "arrival",
                       "extents",
                       "growth",
                       "buckets",
                       "online-rates",
                       "drift-boost",
                       "seed",
                       "window",
                       "settle",
                       "json",
                       "block-size",
                       "enable-prefix-caching",
                       "no-enable-prefix-caching"});

  sim::ReplayOptions opt;
  kv::SessionConfig& s = opt.session;
  s.kv.capacity_tokens = args.get_int("capacity", 131072);
  s.kv.granule = static_cast<std::int32_t>(args.get_int("granule", 16));
  s.kv.block_tokens = static_cast<std::int32_t>(args.get_int("block-size", 16));
  s.kv.prefix_caching = prefix_caching_flag(args);
  s.max_output_tokens = static_cast<std::int32_t>(args.get_int("max-tokens", 2048));
  s.planner.max_batch = static_cast<std::int32_t>(args.get_int("max-batch", 256));
  s.kv.odma.max_extents = static_cast<std::int32_t>(args.get_int("extents", 1));
  s.kv.odma.growth = kv::parse_growth_rule(args.get_or("growth", "next-bucket"));
  s.kv.odma.buckets = static_cast<std::int32_t>(args.get_int("buckets", s.kv.odma.buckets));
  if (args.has("validate")) s.validate = true;
  opt.online = predict::parse_online_config(args.get("online-rates"), args.get("drift-boost"));
  if (s.max_output_tokens < 1) throw Error("--max-tokens must be >= 1");
  const std::string arrival = args.get_or("arrival", "offline");
  if (arrival != "offline" && arrival != "trace") throw Error("--arrival must be offline or trace");
  opt.use_arrivals = arrival == "trace";
  const std::vector<std::string> policies = parse_policy_list(args.get_or("policies", ""));
  const std::string predictor = args.get_or("predictor", "oracle");
  (void)predict::PredictorSpec::parse(predictor);  // a bad spec fails before any work
  const bool online = args.has("online");
  const auto seed = static_cast<std::uint64_t>(args.get_int("seed", 1));
  const auto window = static_cast<std::int32_t>(args.get_int("window", 500));
  const auto settle = args.get_int("settle", 1000);
  if (window < 1 || settle < 0) throw Error("--window must be >= 1 and --settle >= 0");

  std::vector<workload::Trace> traces;
  kv::RequestId last_phase = 0;
  const int sources = args.has("trace") + args.has("dataset") + args.has("drift");
  if (sources > 1) throw Error("give one of --dataset, --drift or --trace");
  if (auto path = args.get("trace")) {
    traces.push_back(workload::read_trace(*path));
  } else if (auto drift = args.get("drift")) {
    const std::vector<std::string> phases = split_list(*drift);
    const auto count = static_cast<std::size_t>(args.get_int("requests", 4000));
    if (phases.size() < 2 || count < phases.size())
      throw Error(
          "--drift needs at least two phases and --requests at least one request per phase");
    traces.push_back(workload::make_drift(phases, count, workload::Split::kTest, seed));
    last_phase = workload::drift_phase_starts(phases.size(), count).back();
  } else {
    for (const std::string& name : split_list(args.get_or("dataset", "alpaca,nq")))
      traces.push_back(workload::dataset_trace(name));
  }
  if (args.has("adaptation") && last_phase == 0)
    throw Error("--adaptation needs a --drift trace (its last phase is the new distribution)");

  nlohmann::json results = nlohmann::json::array();
  for (const workload::Trace& trace : traces) {
    // Longest prompt + cap bounds the model length every policy must accept.
    std::int32_t longest_prompt = 1;
    for (const auto& r : trace.requests) longest_prompt = std::max(longest_prompt, r.prompt_tokens);
    s.kv.max_model_len = longest_prompt + s.max_output_tokens;

    if (args.has("adaptation")) {
      std::printf(
          "\n## %s — %zu requests, new distribution from request %llu, capacity %lld "
          "slots, odma with %s (%s growth; online: %s), windows of %d completions\n\n",
          trace.name.c_str(), trace.requests.size(), static_cast<unsigned long long>(last_phase),
          static_cast<long long>(s.kv.capacity_tokens), predictor.c_str(),
          std::string(kv::to_string(s.kv.odma.growth)).c_str(), opt.online.to_string().c_str(),
          window);
      std::fprintf(stderr, "replay: adaptation on %s ...\n", trace.name.c_str());
      nlohmann::json out = nlohmann::json::array();
      print_adaptation(sim::run_adaptation(trace, predictor, seed, opt, window, last_phase, settle),
                       settle, out);
      results.push_back({{"workload", trace.name}, {"adaptation", out}});
      continue;
    }

    const std::int32_t cap = kv::normalize_session_config(s).max_output_tokens;
    const std::vector<kv::LengthPrediction> predictions =
        online ? std::vector<kv::LengthPrediction>{}
               : predict::predict_trace(trace, predictor, seed, cap);
    std::printf("\n## %s — %zu requests, capacity %lld slots, predictor %s%s\n\n",
                trace.name.c_str(), trace.requests.size(),
                static_cast<long long>(s.kv.capacity_tokens), predictor.c_str(),
                online ? (" (online: " + opt.online.to_string() + ")").c_str() : "");
    if (trace.block_tokens > 0) {
      std::printf("infinite prefix cache: %.1f%% of prompt tokens reusable (%d-token blocks)\n\n",
                  100.0 * workload::infinite_cache_bound(trace).fraction(), trace.block_tokens);
    }
    const bool shares = trace.block_tokens > 0;
    std::vector<std::string> columns{"policy"};
    if (shares) columns.push_back("prefix hit");
    for (const char* c : {"KV util", "capacity usage", "reservation eff", "mean batch", "steps",
                          "overflows", "grow-in-place", "migrations", "preemptions", "failed",
                          "under-reserved", "migr/req", "copied/req"})
      columns.push_back(c);
    Table table(columns);
    std::vector<std::string> ending;  // the online predictors' state after each run
    for (const std::string& policy : policies) {
      std::fprintf(stderr, "replay: %s / %s ...\n", trace.name.c_str(), policy.c_str());
      sim::ReplayResult r;
      if (online) {
        // Fresh for every policy.
        auto source = predict::make_predictor_source(predictor, seed, opt.online);
        r = sim::replay(trace, *source, policy, opt);
        if (source->coverage()) ending.push_back(policy + ": " + source->describe());
      } else {
        r = sim::replay(trace, predictions, policy, opt);
      }
      std::vector<std::string> row{policy};
      if (shares) {
        const auto& k = r.counters;
        row.push_back(fmt_percent(k.prefix_queries > 0 ? static_cast<double>(k.prefix_hits) /
                                                             static_cast<double>(k.prefix_queries)
                                                       : 0.0));
      }
      for (std::string cell :
           {fmt_percent(r.kv_utilization), fmt_percent(r.capacity_usage),
            fmt_percent(r.reservation_efficiency), fmt(r.mean_concurrency, 1),
            std::to_string(r.steps), std::to_string(r.counters.overflows),
            std::to_string(r.counters.grow_in_place), std::to_string(r.counters.migrations),
            std::to_string(r.counters.preemptions), std::to_string(r.counters.failed_requests)})
        row.push_back(std::move(cell));
      const sim::ReservationQuality q = sim::reservation_quality(r);
      row.push_back(fmt_percent(q.under_reserved));
      row.push_back(fmt(q.migrations_per_request, 2));
      row.push_back(fmt(q.copied_tokens_per_request, 1));
      table.add_row(row);
      results.push_back(to_json(trace.name, r));
    }
    std::fputs(table.to_markdown().c_str(), stdout);
    if (!ending.empty()) {
      std::printf("\npredictor after the run:");
      for (const std::string& e : ending) std::printf(" %s;", e.c_str());
      std::printf("\n");
    }
  }
  if (auto path = args.get("json")) {
    write_file(*path, nlohmann::json{{"results", results}}.dump(2) + "\n");
    std::fprintf(stderr, "replay: wrote %s\n", path->c_str());
  }
  return 0;
}

ODMA_COMMAND("replay", "replay a length trace through every KV policy (no model)", run_replay);

}  // namespace
}  // namespace odma::cli
