// `odma bench`: flags and tables; the measurements themselves are bench/suite.h. docs/bench.md
// explains the method.
#include <algorithm>
#include <cstdio>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/args.h"
#include "base/error.h"
#include "base/file_io.h"
#include "base/table.h"
#include "bench/machine.h"
#include "bench/suite.h"
#include "cli/command.h"
#include "cli/policy_list.h"
#include "model/weights.h"
#include "predict/predictor_spec.h"
#include "sim/device_profile.h"

namespace odma::cli {
namespace {

constexpr const char* kHelp = R"(usage: odma bench [options]

(1) Decode-attention bandwidth of the engine's kernels: contiguous vs paged KV (16- and 1-token
    blocks, random placement), next to this machine's sequential read bandwidth (of each arena,
    and STREAM-style: all threads, widest loads, a buffer >= 4x the last-level cache).
(2) Batch-1 decode of the model vs its memory-bandwidth bound (weight bytes ÷ the faster of the
    weights' own read and the STREAM-style read).
(3) End to end: every KV policy serves the same traces on the same model and KV budget —
    Alpaca and NQ test splits and the arXiv-summarization lengths ("arxiv-long"), all requests at
    once ("offline") and at a Poisson rate — with forced output lengths (ignore_eos).

  --model DIR         model to serve (default: the --preset random Qwen2, built in memory)
  --preset P          the random model's shape when no --model: small (default), tiny,
                      qwen2-0.5b-shape (0.99 GB BF16: weights and bounds leave the caches), ...
  --dtype D           weights: auto (the checkpoint's; presets are BF16), bf16, f32
  --quantization Q    none (default) or int8: weights quantized to INT8 at load (per row)
  --kv-dtype D        K/V: auto (f32 for f32 weights, else bf16), bf16, f32, int8 (a scale
                      per token and head: ~2x the slots of bf16)
  --kv-budget-as D    size every KV budget in bytes of D slots (e.g. bf16), then hold as many
                      --kv-dtype slots as those bytes take: K/V dtypes at the same memory
  --repeats N         end-to-end runs per policy, interleaved across policies; tables show the
                      median run and each ratio's median (min–max) over repeats (default 1)
  --paged-blocks L    run the paged policy at each of these block sizes, e.g. 16,64,256 (rows
                      paged-16, ...); "vs best paged" compares with the fastest of them
  --json PATH         also write {"results": [...]} as JSON
  --quick             a ~1 minute smoke run: 8 + 8 + 2 requests, max tokens 128, offline arrivals
                      only, one kernel case
  --dram              the DRAM-resident end-to-end configuration (19 minutes on 2 cores):
                      --preset qwen2-0.5b-shape --e2e-only --offline-only --repeats 3
                      --paged-blocks 16,64,256 --policies static,paged,odma --requests 24
                      --long-requests 4 (each can still be overridden)
  --policies LIST     {policies} (default: all)
  --prefix-caching M  on (default, as vLLM), off, or both: each policy that caches also runs as
                      P/nocache, so the table compares them (static never caches)
  --growth RULE       odma's growth past a reservation: next-bucket (default), conditioned, or
                      both (odma and odma/conditioned side by side, interleaved)
  --predictor SPEC    {predictor} (default bundled@0.5: the shipped model
                      reserving at its median, growth covers the rest; falls back to noisy:0.3 if
                      the bundled model is missing)
  --requests N        requests per Alpaca/NQ workload (default 48; quick 8)
  --long-requests N   requests in the long-context workload (default 8; quick 2)
  --max-tokens N      the generation cap static reserves for, and the cap on the traces' output
                      lengths (default 256; quick 128)
  --static-slots K    KV budget = K × (mean prompt + max tokens) slots per workload, at least the
                      largest request's prompt + max tokens (default 3; the long workload uses at
                      least --long-requests, so it fits at once): static admits about K requests
                      while paged/odma admit by actual length. The budget binds only while
                      static's batch is below the point where a decode step turns compute-bound
                      (see the "Decode step vs batch" table); with K ≥ 8 on a 2-core CPU every
                      policy ties.
  --extents N         odma: extents per request (1 = the paper's strict contiguity, default 1)
  --seed S            sampling of requests and Poisson arrivals (default 1)
  --skip-kernels      skip part (1) (the simulator then uses the shipped cpu-local profile)
  --e2e-only          skip parts (1) and (2)
  --skip-e2e          stop after parts (1) and (2)
  --offline-only      end to end: the all-at-once tables only (no Poisson arrivals)
  --trace FILE        serve this JSONL trace instead of the built-in workloads, all at once (what
                      `odma loadgen --trace FILE --request-rate inf --ignore-eos` sends a server)
  --kv-slots N        the KV budget in slots instead of --static-slots' formula
  --write-profile P   write the cpu-local device profile measured by this run to P (JSON, as
                      data/devices/cpu-local.json); every end-to-end table is followed by the
                      simulator's forecast of the same run on that profile

{policy_table})";

nlohmann::json to_json(const bench::E2eResult& r, double sim_tps) {
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
          {"wall_s", r.summary.wall_s},
          {"forward_s", r.forward_s},
          {"attention_s", r.attention_s},
          {"sim_tps", sim_tps}};
}

std::string ratio(double a, double b) {
  return b > 0 ? fmt(a / b, 2) + "x" : "-";
}

// "1.31x" for one repeat; "1.31x (1.22–1.40)": the median and the range over repeats.
std::string ratio_range(std::vector<double> r) {
  r.erase(std::remove_if(r.begin(), r.end(), [](double v) { return !(v > 0); }), r.end());
  if (r.empty()) return "-";
  std::sort(r.begin(), r.end());
  const std::string median = fmt(r[r.size() / 2], 2) + "x";
  if (r.size() == 1) return median;
  return median + " (" + fmt(r.front(), 2) + "–" + fmt(r.back(), 2) + ")";
}

bool is_paged(const std::string& policy) {
  return policy.rfind("paged", 0) == 0;  // paged, paged-N, either /nocache
}

// Prompt tokens read from the prefix cache ÷ looked up ("-" when nothing was looked up).
std::string prefix_hit(const bench::E2eResult& r) {
  return r.prefix_queries > 0
             ? fmt_percent(
                   static_cast<double>(r.prefix_hits) / static_cast<double>(r.prefix_queries), 1)
             : "-";
}

// Prints every part of the suite as it completes and collects the JSON rows.
class BenchPrinter final : public bench::SuiteObserver {
 public:
  explicit BenchPrinter(const bench::SuiteOptions& o) : options_(o) {}

  void on_model(const bench::BenchModel& m) override {
    const model::ModelConfig& mc = m.model->config();
    std::printf(
        "# odma bench — model: %s (%d layers, hidden %d, %d/%d heads, head_dim %d, %.1f M "
        "params)\n\n",
        m.name.c_str(), mc.num_layers, mc.hidden_size, mc.num_heads, mc.num_kv_heads, mc.head_dim,
        static_cast<double>(m.model->weights().parameters()) / 1e6);
    kv_dtype_ = options_.kv_dtype.value_or(m.model->default_kv_dtype());
    weights_dtype_ = m.model->weights().dtype();
    kv_bytes_per_slot_ = m.model->kv_bytes_per_slot(kv_dtype_);
    llc_bytes_ = bench::last_level_cache_bytes();
    weight_bytes_ = static_cast<double>(m.model->weights().bytes());
    std::printf(
        "regime: weights %s %.1f MiB (%s); K/V %s, %lld B per slot; last-level cache %.0f MiB "
        "(sysfs); kernels %s\n",
        model::to_string(m.model->weights().dtype()), weight_bytes_ / 1048576.0,
        bench::residency(weight_bytes_, llc_bytes_).c_str(), model::to_string(kv_dtype_),
        static_cast<long long>(kv_bytes_per_slot_), static_cast<double>(llc_bytes_) / 1048576.0,
        m.model->kernels().name().c_str());
  }

  void on_kernels(const bench::KernelBenchResult& k, const bench::KernelBenchOptions& o) override {
    std::printf(
        "\n## Decode attention: contiguous vs paged KV (%s, head_dim %d, %d KV heads, GQA %d, "
        "%.0f MiB of K/V per case: %s)\n\n",
        model::to_string(o.kv_dtype), o.head_dim, o.kv_heads, o.heads / o.kv_heads,
        static_cast<double>(o.working_set_bytes) / 1048576.0,
        bench::residency(static_cast<double>(o.working_set_bytes), llc_bytes_).c_str());
    std::printf(
        "sequential read: %.1f GB/s (best probe; each row's ratio uses the read of its own arena, "
        "measured just before); STREAM read: %.1f GB/s (%s)\n\n",
        k.sequential_read_gbps, k.stream.gbps, bench::describe(k.stream).c_str());
    Table t({"batch", "ctx", "seq read GB/s", "contiguous GB/s", "paged-16 GB/s", "paged-1 GB/s",
             "contiguous / seq read", "contiguous / STREAM read", "paged-16 slowdown",
             "paged-1 slowdown"});
    for (const auto& c : k.cases) {
      t.add_row({std::to_string(c.batch), std::to_string(c.ctx), fmt(c.read_gbps, 1),
                 fmt(c.contiguous_gbps, 1), fmt(c.paged16_gbps, 1), fmt(c.paged1_gbps, 1),
                 fmt_percent(c.contiguous_gbps / c.read_gbps, 0),
                 fmt_percent(c.contiguous_gbps / k.stream.gbps, 0),
                 ratio(c.contiguous_gbps, c.paged16_gbps),
                 ratio(c.contiguous_gbps, c.paged1_gbps)});
    }
    std::fputs(t.to_markdown().c_str(), stdout);
  }

  void on_decode(const bench::DecodeBound& d) override {
    std::printf("\n## Batch-1 decode vs the memory-bandwidth bound\n\n");
    std::printf(
        "STREAM read: %s. Bound = weights ÷ the faster read (here %s); decode GB/s = weights ÷ "
        "TPOT.\n\n",
        bench::describe(d.stream).c_str(),
        d.stream.gbps >= d.read_gbps ? "STREAM" : "the weights' own read");
    const double decode_gbps = d.weight_bytes / d.tpot_s / 1e9;
    Table t({"weights (" + std::string(model::to_string(dtype_of_weights())) + ")",
             "weights read GB/s", "STREAM read GB/s", "bound ms/token", "measured TPOT ms",
             "measured / bound", "decode GB/s", "of weights read", "of STREAM read"});
    t.add_row({fmt(d.weight_bytes / 1048576.0, 1) + " MiB", fmt(d.read_gbps, 1),
               fmt(d.stream.gbps, 1), fmt(d.bound_s * 1e3, 3), fmt(d.tpot_s * 1e3, 3),
               ratio(d.tpot_s, d.bound_s), fmt(decode_gbps, 1),
               fmt_percent(decode_gbps / d.read_gbps, 0),
               fmt_percent(decode_gbps / d.stream.gbps, 0)});
    std::fputs(t.to_markdown().c_str(), stdout);
    std::printf("\n## Decode step vs batch (context %d): where a bigger batch stops paying\n\n",
                d.curve_context);
    Table ct({"batch", "step ms", "tokens/s", "vs batch 1"});
    for (const auto& pt : d.curve) {
      ct.add_row({std::to_string(pt.batch), fmt(pt.step_s * 1e3, 2), fmt(pt.tokens_per_s, 0),
                  ratio(pt.tokens_per_s, d.curve.front().tokens_per_s)});
    }
    std::fputs(ct.to_markdown().c_str(), stdout);
  }

  void on_profile(const sim::DeviceProfile& measured) override { profile_ = measured; }

  void on_progress(const std::string& workload, const std::string& policy) override {
    std::fprintf(stderr, "bench: %s / %s ...\n", workload.c_str(), policy.c_str());
  }

  void on_workload(const bench::WorkloadResult& w) override {
    const bench::E2eRun& run = *w.run;
    const double kv_bytes = static_cast<double>(run.capacity * kv_bytes_per_slot_);
    std::printf(
        "\n## %s — %zu requests, output cap %d (forced lengths), KV budget %lld slots "
        "(%.1f MiB; weights + KV %s), predictor %s%s%s\n\n",
        run.workload.c_str(), run.trace.requests.size(), run.max_tokens,
        static_cast<long long>(run.capacity), kv_bytes / 1048576.0,
        bench::residency(weight_bytes_ + kv_bytes, llc_bytes_).c_str(), w.predictor.c_str(),
        run.offline ? "" : (", Poisson " + fmt(w.poisson_rate, 2) + " req/s").c_str(),
        w.repeats.size() > 1
            ? (", " + std::to_string(w.repeats.size()) +
               " interleaved repeats: median run, ratios median (min–max) over repeats")
                  .c_str()
            : "");
    double static_tps = 0.0, sim_static = 0.0;
    for (std::size_t i = 0; i < w.rows.size(); ++i) {
      if (w.rows[i].policy == "static") {
        static_tps = w.rows[i].summary.tps;
        sim_static = w.simulated[i].tps;
      }
    }
    // Per repeat: each policy's TPS over static's and over the best paged block size's.
    const std::size_t n = w.rows.size();
    std::vector<std::vector<double>> vs_static(n), vs_paged(n);
    for (const auto& rep : w.repeats) {
      double st = 0.0, pg = 0.0;
      for (const auto& r : rep) {
        if (r.policy == "static") st = r.summary.tps;
        if (is_paged(r.policy)) pg = std::max(pg, r.summary.tps);
      }
      for (std::size_t i = 0; i < n; ++i) {
        vs_static[i].push_back(st > 0 ? rep[i].summary.tps / st : 0.0);
        vs_paged[i].push_back(pg > 0 ? rep[i].summary.tps / pg : 0.0);
      }
    }
    Table t({"policy", "TPS", "RPS", "vs static", "vs best paged", "prefix hit", "KV util",
             "cap usage", "mean batch", "attn share", "TTFT p50/p99 s", "TPOT p50/p99 ms", "migr",
             "preempt", "failed"});
    for (std::size_t i = 0; i < n; ++i) {
      const auto& r = w.rows[i];
      t.add_row({r.policy, fmt(r.summary.tps, 1), fmt(r.summary.rps, 2), ratio_range(vs_static[i]),
                 ratio_range(vs_paged[i]), prefix_hit(r), fmt_percent(r.kv_utilization, 1),
                 fmt_percent(r.capacity_usage, 1), fmt(r.mean_batch, 1),
                 r.forward_s > 0 ? fmt_percent(r.attention_s / r.forward_s, 0) : "-",
                 fmt(r.summary.ttft_s.p50, 2) + " / " + fmt(r.summary.ttft_s.p99, 2),
                 fmt(r.summary.tpot_s.p50 * 1e3, 1) + " / " + fmt(r.summary.tpot_s.p99 * 1e3, 1),
                 std::to_string(r.migrations), std::to_string(r.preemptions),
                 std::to_string(r.failed_requests)});
    }
    std::fputs(t.to_markdown().c_str(), stdout);

    std::printf("\nsimulator (%s profile) on the same run:\n\n",
                profile_ ? profile_->name.c_str() : "cpu-local");
    Table st({"policy", "engine TPS", "sim TPS", "sim / engine", "engine vs static",
              "sim vs static", "engine mean batch", "sim mean batch"});
    for (std::size_t i = 0; i < w.rows.size(); ++i) {
      const auto& r = w.rows[i];
      const sim::SimResult& s = w.simulated[i];
      st.add_row({r.policy, fmt(r.summary.tps, 1), fmt(s.tps, 1), ratio(s.tps, r.summary.tps),
                  ratio(r.summary.tps, static_tps), ratio(s.tps, sim_static), fmt(r.mean_batch, 1),
                  fmt(s.kv.mean_concurrency, 1)});
      results_.push_back(to_json(r, s.tps));
    }
    std::fputs(st.to_markdown().c_str(), stdout);
    std::fflush(stdout);
  }

  const nlohmann::json& results() const { return results_; }
  const std::optional<sim::DeviceProfile>& profile() const { return profile_; }

 private:
  model::DType dtype_of_weights() const { return weights_dtype_; }

  const bench::SuiteOptions& options_;
  model::DType kv_dtype_ = model::DType::kF32, weights_dtype_ = model::DType::kF32;
  std::int64_t llc_bytes_ = 0;
  double weight_bytes_ = 0;
  std::int64_t kv_bytes_per_slot_ = 0;
  std::optional<sim::DeviceProfile> profile_;
  nlohmann::json results_ = nlohmann::json::array();
};

int run_bench(const std::vector<std::string>& argv) {
  Args args(argv,
            {"help", "quick", "dram", "skip-kernels", "e2e-only", "skip-e2e", "offline-only"});
  if (args.has("help")) {
    std::fputs(expand_help(kHelp).c_str(), stdout);
    return 0;
  }
  args.reject_unknown({"trace",          "kv-slots", "model",         "json",       "policies",
                       "predictor",      "requests", "long-requests", "max-tokens", "static-slots",
                       "extents",        "seed",     "write-profile", "preset",     "dtype",
                       "quantization",   "kv-dtype", "kv-budget-as",  "repeats",    "paged-blocks",
                       "prefix-caching", "growth"});
  if (args.has("quick") && args.has("dram"))
    throw Error("--quick and --dram are two presets: pick one");
  bench::SuiteOptions o = args.has("quick")  ? bench::quick_defaults()
                          : args.has("dram") ? bench::dram_defaults()
                                             : bench::SuiteOptions{};
  o.model_dir = args.get("model");
  o.kernels = !args.has("skip-kernels");
  if (auto list = args.get("policies")) o.policies = parse_policy_list(*list);
  o.prefix_caching = args.get_or("prefix-caching", o.prefix_caching);
  o.growth = args.get_or("growth", o.growth);
  o.predictor = args.get_or("predictor", o.predictor);
  o.seed = static_cast<std::uint64_t>(args.get_int("seed", 1));
  o.requests =
      static_cast<std::size_t>(args.get_int("requests", static_cast<long long>(o.requests)));
  o.long_requests = static_cast<std::size_t>(
      args.get_int("long-requests", static_cast<long long>(o.long_requests)));
  o.max_tokens = static_cast<std::int32_t>(args.get_int("max-tokens", o.max_tokens));
  o.static_slots = args.get_double("static-slots", o.static_slots);
  o.extents = static_cast<std::int32_t>(args.get_int("extents", o.extents));
  o.e2e_only = o.e2e_only || args.has("e2e-only");
  o.skip_e2e = args.has("skip-e2e");
  o.offline_only = o.offline_only || args.has("offline-only");
  if (o.e2e_only && o.skip_e2e) throw Error("--e2e-only and --skip-e2e leave nothing to run");
  if (auto t = args.get("trace")) o.trace_file = *t;
  o.kv_slots = args.get_int("kv-slots", 0);
  o.preset = args.get_or("preset", o.preset);
  o.load.dtype =
      model::parse_weight_flags(args.get_or("dtype", "auto"), args.get_or("quantization", "none"));
  o.kv_dtype = model::parse_kv_dtype_flag(args.get_or("kv-dtype", "auto"));
  if (args.has("kv-budget-as"))
    o.kv_budget_dtype = model::parse_kv_dtype_flag(args.get_or("kv-budget-as", "auto"));
  o.repeats = static_cast<std::int32_t>(args.get_int("repeats", o.repeats));
  if (auto list = args.get("paged-blocks")) {
    o.paged_blocks.clear();  // replaces --dram's
    std::stringstream in(*list);
    for (std::string item; std::getline(in, item, ',');) {
      try {
        o.paged_blocks.push_back(std::stoi(item));
      } catch (const std::exception&) {
        throw Error("--paged-blocks: \"" + item + "\" is not a block size");
      }
    }
  }
  bench::validate(o);

  BenchPrinter printer(o);
  bench::run_suite(o, printer);
  if (auto path = args.get("write-profile")) {
    if (!printer.profile())
      throw Error("--write-profile needs the kernel part (drop --skip-kernels)");
    write_file(*path, sim::device_profile_json(*printer.profile()));
    std::fprintf(stderr, "bench: wrote the measured cpu-local profile to %s\n", path->c_str());
  }
  if (auto path = args.get("json")) {
    write_file(*path, nlohmann::json{{"results", printer.results()}}.dump(2) + "\n");
    std::fprintf(stderr, "bench: wrote %s\n", path->c_str());
  }
  return 0;
}

ODMA_COMMAND("bench", "kernel bandwidth and end-to-end throughput of every KV policy", run_bench);

}  // namespace
}  // namespace odma::cli
