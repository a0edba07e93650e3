// `odma simulate`: every KV policy on one device profile, model shape and workload — the replay
// loop with a device cost model for a clock (docs/simulator.md).
#include <cstdio>
#include <filesystem>

#include "base/args.h"
#include "base/error.h"
#include "base/file_io.h"
#include "base/table.h"
#include "cli/command.h"
#include "cli/policy_list.h"
#include "predict/predictor_source.h"
#include "sim/calibrate.h"
#include "sim/cost_model.h"
#include "sim/fleet.h"
#include "sim/report.h"
#include "sim/simulator.h"
#include "workload/workload.h"

namespace odma::cli {
namespace {

constexpr const char* kHelp = R"(usage: odma simulate [options]
       odma simulate --calibrate [--out PATH]

Simulates iteration-level continuous batching of a workload on a device for each KV policy, with
the engine's own planner and policies and a device cost model (docs/simulator.md), and prints a
table per workload x policy.

  --device NAME|PATH      device profile (data/devices/<NAME>.json; default mlu370-x4)
  --model-shape NAME|PATH shipped shape (data/model_shapes, default r1-7b-shape) or a HF config.json
  --quantization Q        none (default) or int8: weights at 1 byte each (the engine's
                          --quantization int8): half the weight memory and weight reads of BF16
  --kv-dtype D            auto (default: the shape's dtype) or int8: K/V at 1 byte per value plus
                          an F32 scale per (token, layer, K|V, kv-head) row (the engine's
                          --kv-dtype int8): ~2x the KV slots of BF16, half the attention reads
  --dataset LIST          workloads, comma-separated sources: alpaca, alpaca-vicuna, nq, azure-conv,
                          azure-code, arxiv, mooncake-conv (default alpaca,nq)
  --mix SPEC              a mixture workload instead, e.g. alpaca:0.7,nq:0.3 (needs --requests)
  --drift LIST            a drift workload instead: phases in order, e.g. alpaca,nq (needs --requests)
  --trace FILE            a JSONL trace instead (docs/traces.md)
  --split NAME            train|val|test|all (default: test for datasets, all for the traces)
  --requests N            draw N requests from each source (seeded, with repeats if needed)
  --arrival SPEC          offline (default) | poisson:RATE | trace (keep arrival_s) | azure-conv |
                          azure-code (replay that trace's inter-arrival pattern)
  --policies LIST         {policies} (default: all)
  --predictor SPEC        {predictor}
                          (default bundled@0.5, as the engine commands: the shipped model at its
                          median, growth covers the rest)
  --online                predict each request at its admission and feed every completion back to
                          the predictor (observe), as the serving engine does; default: every
                          prediction made before the run
  --seed S                seeds workloads, arrivals and noisy predictions (default 1)
  --capacity N            KV slots instead of (memory x usable - weights) / KV bytes per token
  --max-tokens N          generation cap; static reserves prompt + this (default 2048)
  --max-batch N           running requests at most (default 256)
  --chunk N               prefill chunk per request per step (default 512)
  --budget N              tokens per step (default 2048)
  --granule N             allocation unit in slots (default 16)
  --block-tokens N        paged block size (default 16)
  --enable-prefix-caching / --no-enable-prefix-caching
                          automatic prefix caching (default on, as in vLLM; static never caches):
                          traces with prefix blocks (mooncake-conv) share their prompts' leading
                          blocks; prefill computes only uncached tokens
  --extents N             odma: extents per request (1 = strict contiguity, default 1)
  --growth RULE           odma: next-bucket (default: one size class at a time) | conditioned
                          (moves re-sized at the predicted quantile given the tokens so far)
  --sample-every N        steps between timeline samples for --plot (default 16)
  --replicas N            a fleet: N replicas (each its own KV budget, --capacity) behind a router
  --router LIST           with --replicas: round-robin | least-requests | least-kv | session-hash |
                          prefix-affinity, comma-separated for one table row per policy and
                          router (default: the first three)
  --speedup K             divide every arrival time by K (a trace's rate scaled up for a fleet)
  --validate              run the policy validator after every step (slow; builds with
                          -DODMA_DEBUG=2 always do)
  --json PATH             write the results as JSON
  --plot PATH.svg         KV utilization over time per policy and odma's bucket edges over time
  --calibrate             measure this machine (bandwidth, alpha curve, matmul rate) and print the
                          cpu-local profile; --out PATH also writes it

{policy_table})";

int run_calibrate(const Args& args) {
  sim::CalibrationOptions opt;
  sim::CalibrationReport rep = sim::calibrate_this_machine(opt);
  std::fputs(rep.log.c_str(), stderr);
  const std::string json = sim::device_profile_json(rep.profile);
  if (auto out = args.get("out")) {
    write_file(*out, json);
    std::fprintf(stderr, "simulate: wrote %s\n", out->c_str());
  } else {
    std::fputs(json.c_str(), stdout);
  }
  return 0;
}

std::vector<workload::Trace> build_workloads(const Args& args, std::uint64_t seed) {
  // Datasets default to their test split (the predictor trains on train); production traces to all.
  auto split_for = [&](const std::string& source) {
    const bool dataset = source == "alpaca" || source == "alpaca-vicuna" || source == "nq";
    return workload::parse_split(args.get_or("split", dataset ? "test" : "all"));
  };
  const std::optional<workload::Split> split = split_for("alpaca");
  const long long requests = args.get_int("requests", 0);
  if (requests < 0) throw Error("--requests must be >= 0");
  const auto count = static_cast<std::size_t>(requests);
  int given = (args.has("dataset") ? 1 : 0) + (args.has("mix") ? 1 : 0) +
              (args.has("drift") ? 1 : 0) + (args.has("trace") ? 1 : 0);
  if (given > 1) throw Error("give one of --dataset, --mix, --drift, --trace");
  std::vector<workload::Trace> traces;
  if (auto path = args.get("trace")) {
    traces.push_back(workload::read_trace(*path));
  } else if (auto mix = args.get("mix")) {
    if (count == 0) throw Error("--mix needs --requests N");
    traces.push_back(workload::make_mixture(workload::parse_mixture(*mix), count, split, seed));
    traces.back().name = "mix:" + *mix;
  } else if (auto drift = args.get("drift")) {
    if (count == 0) throw Error("--drift needs --requests N");
    traces.push_back(workload::make_drift(split_list(*drift), count, split, seed));
    traces.back().name = "drift:" + *drift;
  } else {
    for (const std::string& name : split_list(args.get_or("dataset", "alpaca,nq"))) {
      if (count > 0) {
        traces.push_back(workload::make_mixture({{name, 1.0}}, count, split_for(name), seed));
      } else {
        traces.push_back(workload::source_trace(name, split_for(name)));
      }
      traces.back().name = name;
    }
  }
  const std::string arrival = args.get_or("arrival", "offline");
  for (workload::Trace& t : traces) {
    if (t.requests.empty()) throw Error("workload " + t.name + " has no requests");
    if (arrival != "trace") workload::apply_arrival_spec(t, arrival, seed);
    if (arrival != "offline") t.name += " @" + arrival;
  }
  return traces;
}

std::int32_t int_arg(const Args& args, const char* name, long long fallback, long long min) {
  long long v = args.get_int(name, fallback);
  if (v < min || v > (1LL << 30)) {
    throw Error(std::string("--") + name + " must be in [" + std::to_string(min) + ", 2^30]");
  }
  return static_cast<std::int32_t>(v);
}

// --replicas: every policy × router on each trace, one table per trace (sim/fleet.h).
int run_fleet(const Args& args, const std::vector<workload::Trace>& traces,
              const std::vector<std::string>& policies, const std::string& predictor_spec,
              std::uint64_t seed, kv::SessionConfig session, const sim::CostModel& cost,
              const sim::DeviceProfile& device, const sim::ModelShape& shape) {
  sim::FleetOptions fo;
  fo.replicas = int_arg(args, "replicas", 1, 1);
  std::vector<sim::Router> routers;
  for (const std::string& r :
       split_list(args.get_or("router", "round-robin,least-requests,least-kv")))
    routers.push_back(sim::parse_router(r));
  nlohmann::json out = nlohmann::json::array();
  for (const workload::Trace& trace : traces) {
    std::int32_t longest_prompt = 1;
    for (const auto& r : trace.requests) longest_prompt = std::max(longest_prompt, r.prompt_tokens);
    session.kv.max_model_len = longest_prompt + session.max_output_tokens;
    fo.session = session;
    const std::vector<kv::LengthPrediction> predictions =
        predict::predict_trace(trace, predictor_spec, seed, session.max_output_tokens);
    std::printf("\n## %s on %d x %s, %s: %zu requests, KV %lld slots per replica, predictor %s\n\n",
                trace.name.c_str(), fo.replicas, device.name.c_str(), shape.name.c_str(),
                trace.requests.size(), static_cast<long long>(session.kv.capacity_tokens),
                predictor_spec.c_str());
    Table t({"policy", "router", "prefix hit", "prefill computed", "TPS", "RPS",
             "vs static (same router)", "vs paged (same router)", "TTFT p50 / p99 s",
             "TPOT p50 / p99 ms", "mean batch", "imbalance", "migrations", "preemptions",
             "failed"});
    for (sim::Router router : routers) {
      fo.router = router;
      std::vector<sim::FleetResult> rows;
      for (const std::string& policy : policies) {
        std::fprintf(stderr, "simulate: %s / %s / %s ...\n", trace.name.c_str(),
                     sim::to_string(router).c_str(), policy.c_str());
        rows.push_back(sim::simulate_fleet(trace, predictions, policy, cost, fo));
      }
      double static_tps = 0, paged_tps = 0;
      for (const auto& r : rows) {
        if (r.policy == "static") static_tps = r.tps;
        if (r.policy == "paged") paged_tps = r.tps;
      }
      for (const auto& r : rows) {
        const double hit = r.counters.prefix_queries > 0
                               ? static_cast<double>(r.counters.prefix_hits) /
                                     static_cast<double>(r.counters.prefix_queries)
                               : 0.0;
        t.add_row(
            {r.policy, sim::to_string(router), fmt(100 * hit, 2) + "%",
             fmt(100.0 * static_cast<double>(r.prefill_tokens) /
                     static_cast<double>(std::max<std::int64_t>(1, r.prompt_tokens)),
                 1) +
                 "%",
             fmt(r.tps, 0), fmt(r.rps, 2), static_tps > 0 ? fmt(r.tps / static_tps, 2) + "x" : "-",
             paged_tps > 0 ? fmt(r.tps / paged_tps, 2) + "x" : "-",
             fmt(r.ttft_s.p50, 2) + " / " + fmt(r.ttft_s.p99, 2),
             fmt(r.tpot_s.p50 * 1e3, 1) + " / " + fmt(r.tpot_s.p99 * 1e3, 1), fmt(r.mean_batch, 1),
             fmt(r.load_imbalance, 2), std::to_string(r.counters.migrations),
             std::to_string(r.counters.preemptions), std::to_string(r.failed)});
        out.push_back({{"workload", trace.name},
                       {"policy", r.policy},
                       {"router", sim::to_string(router)},
                       {"replicas", r.replicas},
                       {"tps", r.tps},
                       {"prefix_cache_queries", r.counters.prefix_queries},
                       {"prefix_cache_hits", r.counters.prefix_hits},
                       {"prompt_tokens", r.prompt_tokens},
                       {"prefill_tokens", r.prefill_tokens},
                       {"rps", r.rps},
                       {"ttft_p50_s", r.ttft_s.p50},
                       {"ttft_p99_s", r.ttft_s.p99},
                       {"tpot_p50_s", r.tpot_s.p50},
                       {"tpot_p99_s", r.tpot_s.p99},
                       {"failed_requests", r.failed},
                       {"mean_batch", r.mean_batch},
                       {"load_imbalance", r.load_imbalance}});
      }
    }
    std::fputs(t.to_markdown().c_str(), stdout);
  }
  if (auto path = args.get("json")) {
    write_file(*path, nlohmann::json{{"results", out}}.dump(2) + "\n");
    std::fprintf(stderr, "simulate: wrote %s\n", path->c_str());
  }
  return 0;
}

int run_simulate(const std::vector<std::string>& argv) {
  Args args(argv, {"help", "validate", "calibrate", "online", "enable-prefix-caching",
                   "no-enable-prefix-caching"});
  if (args.has("help")) {
    std::fputs(expand_help(kHelp).c_str(), stdout);
    return 0;
  }
  if (args.has("calibrate")) {
    args.reject_unknown({"calibrate", "out"});
    return run_calibrate(args);
  }
  args.reject_unknown({"help",
                       "validate",
                       "online",
                       "device",
                       "model-shape",
                       "quantization",
                       "kv-dtype",
                       "dataset",
                       "mix",
                       "drift",
                       "trace",
                       "split",
                       "requests",
                       "arrival",
                       "policies",
                       "predictor",
                       "seed",
                       "capacity",
                       "max-tokens",
                       "max-batch",
                       "chunk",
                       "budget",
                       "granule",
                       "block-tokens",
                       "extents",
                       "growth",
                       "sample-every",
                       "json",
                       "plot",
                       "replicas",
                       "router",
                       "speedup",
                       "enable-prefix-caching",
                       "no-enable-prefix-caching"});

  const sim::DeviceProfile device = sim::load_device_profile(args.get_or("device", "mlu370-x4"));
  sim::ModelShape shape = sim::load_model_shape(args.get_or("model-shape", "r1-7b-shape"));
  const std::string quantization = args.get_or("quantization", "none");
  if (quantization != "none" && quantization != "int8")
    throw Error("--quantization must be none or int8, got '" + quantization + "'");
  if (quantization == "int8") shape.quantized_weight_bytes = 1;
  const std::string kv_dtype = args.get_or("kv-dtype", "auto");
  if (kv_dtype != "auto" && kv_dtype != "int8")
    throw Error("--kv-dtype must be auto or int8, got '" + kv_dtype + "'");
  shape.int8_kv = kv_dtype == "int8";
  const sim::CostModel cost(device, shape);
  const auto seed = static_cast<std::uint64_t>(args.get_int("seed", 1));
  const std::vector<std::string> policies = parse_policy_list(args.get_or("policies", ""));
  const std::string predictor_spec = args.get_or("predictor", "bundled@0.5");
  (void)predict::PredictorSpec::parse(predictor_spec);  // a bad spec fails before any work
  const bool online = args.has("online");

  sim::SimOptions opt;
  opt.session.kv.capacity_tokens =
      args.has("capacity") ? args.get_int("capacity", 0) : sim::kv_capacity_tokens(device, shape);
  if (opt.session.kv.capacity_tokens < 1) throw Error("--capacity must be >= 1");
  opt.session.max_output_tokens = int_arg(args, "max-tokens", 2048, 1);
  opt.session.kv.granule = int_arg(args, "granule", 16, 1);
  opt.session.kv.block_tokens = int_arg(args, "block-tokens", 16, 1);
  opt.session.kv.prefix_caching = prefix_caching_flag(args);
  opt.session.kv.odma.max_extents = int_arg(args, "extents", 1, 1);
  opt.session.kv.odma.growth = kv::parse_growth_rule(args.get_or("growth", "next-bucket"));
  opt.session.planner.max_batch = int_arg(args, "max-batch", 256, 1);
  opt.session.planner.prefill_chunk_tokens = int_arg(args, "chunk", 512, 1);
  opt.session.planner.step_token_budget = int_arg(args, "budget", 2048, 1);
  if (args.has("validate")) opt.session.validate = true;
  opt.sample_every = int_arg(args, "sample-every", 16, 0);
  const auto plot_path = args.get("plot");
  if (!plot_path) opt.sample_every = 0;

  std::vector<workload::Trace> traces = build_workloads(args, seed);
  if (args.has("speedup")) {
    const double k = args.get_double("speedup", 1.0);
    if (!(k > 0)) throw Error("--speedup must be > 0");
    for (workload::Trace& t : traces) {
      for (auto& r : t.requests) r.arrival_s /= k;
      t.name += " x" + fmt(k, 0);
    }
  }
  if (args.has("replicas") || args.has("router")) {
    return run_fleet(args, traces, policies, predictor_spec, seed, opt.session, cost, device,
                     shape);
  }
  std::vector<sim::WorkloadRun> runs;
  for (const workload::Trace& trace : traces) {
    std::int32_t longest_prompt = 1;
    for (const auto& r : trace.requests) longest_prompt = std::max(longest_prompt, r.prompt_tokens);
    opt.session.kv.max_model_len = longest_prompt + opt.session.max_output_tokens;
    auto source = predict::make_predictor_source(predictor_spec, seed);
    std::vector<kv::LengthPrediction> predictions;
    if (!online) {
      predictions.reserve(trace.requests.size());
      for (const auto& r : trace.requests)
        predictions.push_back(source->predict(r, opt.session.max_output_tokens));
    }

    sim::WorkloadRun run{trace.name,
                         device.name,
                         shape.name,
                         static_cast<std::int64_t>(trace.requests.size()),
                         opt.session.kv.capacity_tokens,
                         {}};
    for (const std::string& policy : policies) {
      std::fprintf(stderr, "simulate: %s / %s ...\n", trace.name.c_str(), policy.c_str());
      if (online) {
        auto fresh = predict::make_predictor_source(predictor_spec, seed);  // learns from zero
        run.results.push_back(sim::simulate(trace, *fresh, policy, cost, opt));
      } else {
        run.results.push_back(sim::simulate(trace, predictions, policy, cost, opt));
      }
    }
    std::printf(
        "\n## %s on %s, %s%s: %zu requests, KV capacity %lld slots (%.2f GB), predictor %s\n\n",
        trace.name.c_str(), device.name.c_str(), shape.name.c_str(),
        shape.quantized_weight_bytes > 0
            ? (shape.int8_kv ? " (INT8 weights, INT8 KV)" : " (INT8 weights)")
            : (shape.int8_kv ? " (INT8 KV)" : ""),
        trace.requests.size(), static_cast<long long>(opt.session.kv.capacity_tokens),
        static_cast<double>(opt.session.kv.capacity_tokens) *
            static_cast<double>(shape.kv_bytes_per_token()) / 1e9,
        (source->describe() + (online ? " (online)" : "")).c_str());
    std::fputs(sim::results_table(run).c_str(), stdout);
    runs.push_back(std::move(run));
  }
  if (auto path = args.get("json")) {
    write_file(*path, sim::results_json(runs).dump(2) + "\n");
    std::fprintf(stderr, "simulate: wrote %s\n", path->c_str());
  }
  if (plot_path) {
    std::vector<sim::PlotPanel> panels;
    for (const sim::WorkloadRun& run : runs) {
      for (sim::PlotPanel& p : sim::timeline_panels(run)) panels.push_back(std::move(p));
    }
    write_file(*plot_path, sim::render_svg("odma simulate — " + device.name, panels));
    std::fprintf(stderr, "simulate: wrote %s\n", plot_path->c_str());
  }
  return 0;
}

ODMA_COMMAND("simulate", "simulate every KV policy on a device profile, model shape and workload",
             run_simulate);

}  // namespace
}  // namespace odma::cli
