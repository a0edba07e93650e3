// `odma bench`: kernel bandwidth (contiguous vs paged attention) and end-to-end serving throughput
// of every KV policy on one model, one KV budget and the same traces. docs/bench.md explains it.
#include <cstdio>
#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "base/args.h"
#include "base/error.h"
#include "base/file_io.h"
#include "base/table.h"
#include "cli/bench_sim.h"
#include "cli/command.h"
#include "cli/policy_list.h"
#include "model/random_model.h"
#include "predict/predictor.h"
#include "serve/bench_decode.h"
#include "serve/bench_e2e.h"
#include "serve/bench_kernels.h"
#include "serve/engine.h"
#include "sim/device_profile.h"
#include "workload/workload.h"

namespace odma::cli {
namespace {

constexpr const char* kHelp = R"(usage: odma bench [options]

(1) Decode-attention bandwidth of the engine's kernels: contiguous vs paged KV (16- and 1-token
    blocks, random placement), next to this machine's sequential read bandwidth.
(2) Batch-1 decode of the model vs its memory-bandwidth bound (weight bytes ÷ read bandwidth).
(3) End to end: every KV policy serves the same traces on the same model and KV budget —
    Alpaca and NQ test splits and the arXiv-summarization lengths ("arxiv-long"), all requests at
    once ("offline") and at a Poisson rate — with forced output lengths (ignore_eos).

  --model DIR         model to serve (default: the `small` random Qwen2 preset, built in memory)
  --json PATH         also write {"results": [...]} as JSON
  --quick             a ~1 minute smoke run: 8 + 8 + 2 requests, cap 128, offline arrivals only,
                      one kernel case
  --policies LIST     default: static,paged,s3,odma,oracle
  --predictor SPEC    bundled[@Q] | noisy:SIGMA | oracle | model:PATH[@Q] (default bundled@0.5:
                      the shipped model reserving at its median, growth covers the rest; falls
                      back to noisy:0.3 if the bundled model is missing)
  --requests N        requests per Alpaca/NQ workload (default 48; quick 8)
  --long-requests N   requests in the long-context workload (default 8; quick 2)
  --cap N             max_tokens: the generation cap static reserves for, and the cap on the
                      traces' output lengths (default 256; quick 128)
  --static-slots K    KV budget = K × (mean prompt + cap) slots per workload, at least the largest
                      request's prompt + cap (default 3; the long workload uses at least
                      --long-requests, so it fits at once): static admits about K requests while
                      paged/odma admit by actual length. The budget binds only while static's
                      batch is below the point where a decode step turns compute-bound (see the
                      "Decode step vs batch" table); with K ≥ 8 on a 2-core CPU every policy ties.
  --extents N         odma: extents per request (1 = the paper's strict contiguity, default 1)
  --seed S            sampling of requests and Poisson arrivals (default 1)
  --skip-kernels      skip part (1) (the simulator then uses the shipped cpu-local profile)
  --write-profile P   write the cpu-local device profile measured by this run to P (JSON, as
                      data/devices/cpu-local.json); every end-to-end table is followed by the
                      simulator's forecast of the same run on that profile
)";

struct WorkloadSpec {
  std::string name;    // shown in the table
  std::string source;  // workload::source_trace name
  std::size_t count;
  std::int32_t cap;
  double static_slots;  // KV budget in static reservations of the mean request
};

workload::Trace sample_trace(const WorkloadSpec& w, std::uint64_t seed) {
  workload::Trace t =
      workload::make_mixture({{w.source, 1.0}}, w.count, workload::Split::kTest, seed);
  t.name = w.name;
  for (auto& r : t.requests) r.output_tokens = std::max(1, std::min(r.output_tokens, w.cap));
  return t;
}

std::vector<kv::LengthPrediction> predictions_for(const workload::Trace& trace, std::string& spec,
                                                  std::uint64_t seed, std::int32_t cap) {
  try {
    return predict::predict_trace(trace, spec, seed, cap);
  } catch (const Error& e) {
    if (spec.rfind("bundled", 0) != 0) throw;
    std::fprintf(stderr, "bench: bundled predictor unavailable (%s); using noisy:0.3\n", e.what());
    spec = "noisy:0.3";
    return predict::predict_trace(trace, spec, seed, cap);
  }
}

nlohmann::json to_json(const serve::E2eResult& r) {
  return {{"workload", r.workload},
          {"policy", r.policy},
          {"tps", r.summary.tps},
          {"rps", r.summary.rps},
          {"kv_utilization", r.kv_utilization},
          {"capacity_usage", r.capacity_usage},
          {"mean_batch", r.mean_batch},
          {"ttft_p50_s", r.summary.ttft_s.p50},
          {"ttft_p99_s", r.summary.ttft_s.p99},
          {"tpot_p50_s", r.summary.tpot_s.p50},
          {"tpot_p99_s", r.summary.tpot_s.p99},
          {"migrations", r.migrations},
          {"preemptions", r.preemptions},
          {"failed_requests", r.failed_requests},
          {"completed", r.summary.completed},
          {"wall_s", r.summary.wall_s}};
}

void print_kernels(const serve::KernelBenchResult& k, const serve::KernelBenchOptions& o) {
  std::printf(
      "\n## Decode attention: contiguous vs paged KV (F32, head_dim %d, %d KV heads, GQA %d)\n\n",
      o.head_dim, o.kv_heads, o.heads / o.kv_heads);
  std::printf(
      "sequential read: %.1f GB/s (best probe; each row's ratio uses the read of its own arena, "
      "measured just before)\n\n",
      k.sequential_read_gbps);
  Table t({"batch", "ctx", "seq read GB/s", "contiguous GB/s", "paged-16 GB/s", "paged-1 GB/s",
           "contiguous / seq read", "paged-16 slowdown", "paged-1 slowdown"});
  for (const auto& c : k.cases) {
    t.add_row({std::to_string(c.batch), std::to_string(c.ctx), fmt(c.read_gbps, 1),
               fmt(c.contiguous_gbps, 1), fmt(c.paged16_gbps, 1), fmt(c.paged1_gbps, 1),
               fmt_percent(c.contiguous_gbps / c.read_gbps, 0),
               fmt(c.contiguous_gbps / c.paged16_gbps, 2) + "x",
               fmt(c.contiguous_gbps / c.paged1_gbps, 2) + "x"});
  }
  std::fputs(t.to_markdown().c_str(), stdout);
}

// Batch-1 decode speed vs the bound weight bytes ÷ read bandwidth.
constexpr int kCurveContext = 256;

// Prints the batch-1 bound and the decode curve; returns the curve (it calibrates the simulator).
std::vector<serve::DecodePoint> print_decode_bound(std::shared_ptr<const model::Transformer> m,
                                                   bool quick) {
  serve::EngineConfig c;
  c.policy = "static";
  c.kv.capacity_tokens = 1024;
  c.kv.max_model_len = 1024;
  serve::Engine e(m, c);
  serve::RequestParams p;
  p.sampling.max_tokens = quick ? 64 : 256;
  p.sampling.ignore_eos = true;
  const auto id = e.submit(std::vector<std::int32_t>(16, 7), p);
  while (!e.idle()) (void)e.step();
  const double tpot = e.output(id).tpot_s();
  // The bound streams these very weights: read them (same pages, same moment) for the bandwidth.
  const double read_gbps = serve::measure_read_gbps(m->weights().spans(), quick ? 0.1 : 0.3);
  const double bytes = static_cast<double>(m->weights().bytes());
  const double bound = bytes / (read_gbps * 1e9);
  std::printf("\n## Batch-1 decode vs the memory-bandwidth bound\n\n");
  Table t({"weights (F32)", "weights read GB/s", "bound ms/token", "measured TPOT ms",
           "measured / bound"});
  t.add_row({fmt(bytes / 1048576.0, 1) + " MiB", fmt(read_gbps, 1), fmt(bound * 1e3, 3),
             fmt(tpot * 1e3, 3), fmt(tpot / bound, 2) + "x"});
  std::fputs(t.to_markdown().c_str(), stdout);

  const std::vector<serve::DecodePoint> curve = serve::measure_decode_curve(
      *m, quick ? std::vector<int>{1, 4, 16} : std::vector<int>{1, 2, 4, 8, 16, 32}, 256,
      quick ? 5 : 20);
  std::printf("\n## Decode step vs batch (context %d): where a bigger batch stops paying\n\n",
              kCurveContext);
  Table ct({"batch", "step ms", "tokens/s", "vs batch 1"});
  for (const auto& pt : curve) {
    ct.add_row({std::to_string(pt.batch), fmt(pt.step_s * 1e3, 2), fmt(pt.tokens_per_s, 0),
                fmt(pt.tokens_per_s / curve.front().tokens_per_s, 2) + "x"});
  }
  std::fputs(ct.to_markdown().c_str(), stdout);
  return curve;
}

// The simulator's forecast of the same run next to the engine's measurement; adds "sim_tps" to
// this run's JSON rows.
void print_simulated(const serve::E2eRun& run, const std::vector<serve::E2eResult>& rows,
                     const sim::CostModel& cost, nlohmann::json& results) {
  std::printf("\nsimulator (%s profile) on the same run:\n\n", cost.device().name.c_str());
  Table t({"policy", "engine TPS", "sim TPS", "sim / engine", "engine vs static", "sim vs static",
           "engine mean batch", "sim mean batch"});
  std::vector<double> sim_tps, sim_batch;
  double engine_static = 0.0, sim_static = 0.0;
  for (const auto& r : rows) {
    const sim::SimResult s = simulate_e2e(run, r.policy, cost);
    sim_tps.push_back(s.tps);
    sim_batch.push_back(s.kv.mean_concurrency);
    if (r.policy == "static") {
      engine_static = r.summary.tps;
      sim_static = s.tps;
    }
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    t.add_row({r.policy, fmt(r.summary.tps, 1), fmt(sim_tps[i], 1),
               fmt(sim_tps[i] / r.summary.tps, 2) + "x",
               engine_static > 0 ? fmt(r.summary.tps / engine_static, 2) + "x" : "-",
               sim_static > 0 ? fmt(sim_tps[i] / sim_static, 2) + "x" : "-", fmt(r.mean_batch, 1),
               fmt(sim_batch[i], 1)});
    results[results.size() - rows.size() + i]["sim_tps"] = sim_tps[i];
  }
  std::fputs(t.to_markdown().c_str(), stdout);
}

int run_bench(const std::vector<std::string>& argv) {
  Args args(argv, {"help", "quick", "skip-kernels"});
  if (args.has("help")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  args.reject_unknown({"help", "quick", "skip-kernels", "model", "json", "policies", "predictor",
                       "requests", "long-requests", "cap", "static-slots", "extents", "seed",
                       "write-profile"});
  const bool quick = args.has("quick");
  const std::vector<std::string> policies = parse_policy_list(args.get_or("policies", ""));
  std::string predictor = args.get_or("predictor", "bundled@0.5");
  const auto seed = static_cast<std::uint64_t>(args.get_int("seed", 1));
  const auto n_short = static_cast<std::size_t>(args.get_int("requests", quick ? 8 : 48));
  const auto n_long = static_cast<std::size_t>(args.get_int("long-requests", quick ? 2 : 8));
  const auto cap = static_cast<std::int32_t>(args.get_int("cap", quick ? 128 : 256));
  const double static_slots = args.get_double("static-slots", 3.0);
  const auto extents = static_cast<std::int32_t>(args.get_int("extents", 1));
  if (n_short < 1 || n_long < 1 || cap < 1 || static_slots < 1 || extents < 1) {
    throw Error(
        "--requests, --long-requests, --cap, --extents must be >= 1 and --static-slots >= 1");
  }

  std::shared_ptr<const model::Transformer> model;
  std::string model_name;
  if (auto dir = args.get("model")) {
    model = model::Transformer::load(*dir);
    model_name = *dir;
  } else {
    const model::ModelConfig c = model::preset_config("small");
    model = std::make_shared<const model::Transformer>(c, model::random_weights(c, 1));
    model_name = "random Qwen2 `small` preset (seed 1)";
  }
  const model::ModelConfig& mc = model->config();
  std::printf(
      "# odma bench — model: %s (%d layers, hidden %d, %d/%d heads, head_dim %d, %.1f M params)\n",
      model_name.c_str(), mc.num_layers, mc.hidden_size, mc.num_heads, mc.num_kv_heads, mc.head_dim,
      static_cast<double>(model->weights().bytes()) / 4e6);

  serve::KernelBenchResult kernels;
  if (!args.has("skip-kernels")) {
    serve::KernelBenchOptions ko;
    ko.head_dim = mc.head_dim;
    ko.kv_heads = mc.num_kv_heads;
    ko.heads = mc.num_heads;
    if (quick) {
      ko.working_set_bytes = 128LL << 20;
      ko.batches = {16};
      ko.contexts = {1024};
      ko.seconds_per_case = 0.1;
    }
    kernels = serve::run_kernel_bench(ko);
    print_kernels(kernels, ko);
  }
  const std::vector<serve::DecodePoint> curve = print_decode_bound(model, quick);

  // The simulator, calibrated on this very run (or the shipped cpu-local profile without kernels).
  const sim::ModelShape shape = engine_shape(mc, model_name);
  const sim::DeviceProfile device =
      kernels.cases.empty() ? sim::load_device_profile("cpu-local")
                            : measured_cpu_profile(kernels, curve, kCurveContext, shape);
  if (auto path = args.get("write-profile")) {
    write_file(*path, sim::device_profile_json(device));
    std::fprintf(stderr, "bench: wrote the measured cpu-local profile to %s\n", path->c_str());
  }
  const sim::CostModel cost(device, shape);

  // The long workload's budget holds all of it at once: there the contest is attention reads over
  // long contexts (DESIGN.md: paged pays 1.5-1.7x), not admission, which the short ones measure.
  const std::vector<WorkloadSpec> workloads = {
      {"alpaca", "alpaca", n_short, cap, static_slots},
      {"nq", "nq", n_short, cap, static_slots},
      {"arxiv-long", "arxiv", n_long, cap, std::max(static_slots, static_cast<double>(n_long))}};
  nlohmann::json results = nlohmann::json::array();
  for (const WorkloadSpec& w : workloads) {
    serve::E2eRun run;
    run.trace = sample_trace(w, seed);
    run.max_tokens = w.cap;
    run.max_model_len = mc.max_position_embeddings;
    run.odma_max_extents = extents;
    run.predictions = predictions_for(run.trace, predictor, seed, w.cap);
    double mean_prompt = 0.0;
    std::int64_t max_prompt = 0;
    for (const auto& r : run.trace.requests) {
      mean_prompt += r.prompt_tokens;
      max_prompt = std::max<std::int64_t>(max_prompt, r.prompt_tokens);
    }
    mean_prompt /= static_cast<double>(run.trace.requests.size());
    // K static reservations of the mean request, but never less than the largest request's static
    // reservation: every policy can always serve every request.
    run.capacity = std::max<std::int64_t>(
        static_cast<std::int64_t>(w.static_slots * (mean_prompt + w.cap)), max_prompt + w.cap);
    run.capacity = (run.capacity + 15) / 16 * 16;
    run.arena = model->make_storage(run.capacity);  // one arena: same pages for every policy
    // The model length this trace needs; static reserves prompt + cap within it.
    run.max_model_len = static_cast<std::int32_t>(
        std::min<std::int64_t>(mc.max_position_embeddings, max_prompt + w.cap));

    std::map<std::string, double> offline_rps;
    for (const std::string mode : {"offline", "poisson"}) {
      run.offline = mode == "offline";
      if (quick && !run.offline) continue;
      double rate = 0.0;
      if (!run.offline) {
        // 0.9 × the best offline RPS: static (memory-bound) is overloaded, the best policy is not.
        for (const auto& [p, rps] : offline_rps) rate = std::max(rate, 0.9 * rps);
        if (rate <= 0) continue;
        workload::apply_poisson_arrivals(run.trace, rate, seed);
      }
      run.workload = w.name + "/" + mode;
      std::printf(
          "\n## %s — %zu requests, output cap %d (forced lengths), KV budget %lld slots "
          "(%.1f MiB), predictor %s%s\n\n",
          run.workload.c_str(), run.trace.requests.size(), w.cap,
          static_cast<long long>(run.capacity),
          static_cast<double>(run.capacity * mc.kv_bytes_per_token(4)) / 1048576.0,
          predictor.c_str(), run.offline ? "" : (", Poisson " + fmt(rate, 2) + " req/s").c_str());
      std::vector<serve::E2eResult> rows;
      for (const std::string& policy : policies) {
        std::fprintf(stderr, "bench: %s / %s ...\n", run.workload.c_str(), policy.c_str());
        rows.push_back(serve::run_e2e(model, run, policy));
        if (run.offline) offline_rps[policy] = rows.back().summary.rps;
        results.push_back(to_json(rows.back()));
      }
      double static_tps = 0.0, paged_tps = 0.0;
      for (const auto& r : rows) {
        if (r.policy == "static") static_tps = r.summary.tps;
        if (r.policy == "paged") paged_tps = r.summary.tps;
      }
      Table t({"policy", "TPS", "RPS", "vs static", "vs paged", "KV util", "cap usage",
               "mean batch", "TTFT p50/p99 s", "TPOT p50/p99 ms", "migr", "preempt", "failed"});
      for (const auto& r : rows) {
        t.add_row({r.policy, fmt(r.summary.tps, 1), fmt(r.summary.rps, 2),
                   static_tps > 0 ? fmt(r.summary.tps / static_tps, 2) + "x" : "-",
                   paged_tps > 0 ? fmt(r.summary.tps / paged_tps, 2) + "x" : "-",
                   fmt_percent(r.kv_utilization, 1), fmt_percent(r.capacity_usage, 1),
                   fmt(r.mean_batch, 1),
                   fmt(r.summary.ttft_s.p50, 2) + " / " + fmt(r.summary.ttft_s.p99, 2),
                   fmt(r.summary.tpot_s.p50 * 1e3, 1) + " / " + fmt(r.summary.tpot_s.p99 * 1e3, 1),
                   std::to_string(r.migrations), std::to_string(r.preemptions),
                   std::to_string(r.failed_requests)});
      }
      std::fputs(t.to_markdown().c_str(), stdout);
      print_simulated(run, rows, cost, results);
      std::fflush(stdout);
    }
  }
  if (auto path = args.get("json")) {
    write_file(*path, nlohmann::json{{"results", results}}.dump(2) + "\n");
    std::fprintf(stderr, "bench: wrote %s\n", path->c_str());
  }
  return 0;
}

ODMA_COMMAND("bench", "kernel bandwidth and end-to-end throughput of every KV policy", run_bench);

}  // namespace
}  // namespace odma::cli
