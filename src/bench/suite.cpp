#include "bench/suite.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "base/error.h"
#include "bench/simulated.h"
#include "kv/policy.h"
#include "model/random_model.h"
#include "model/timed_kernels.h"
#include "predict/predictor_source.h"
#include "serve/engine.h"
#include "sim/device_profile.h"
#include "workload/workload.h"

namespace odma::bench {
namespace {

struct WorkloadSpec {
  std::string name;    // shown in the table
  std::string source;  // workload::source_trace name, or a trace file (then `file` is set)
  bool file = false;
  std::size_t count;
  std::int32_t cap;
  double static_slots;  // KV budget in static reservations of the mean request
};

workload::Trace sample_trace(const WorkloadSpec& w, std::uint64_t seed) {
  workload::Trace t =
      w.file ? workload::read_trace(w.source)
             : workload::make_mixture({{w.source, 1.0}}, w.count, workload::Split::kTest, seed);
  t.name = w.name;
  for (auto& r : t.requests) r.output_tokens = std::max(1, std::min(r.output_tokens, w.cap));
  return t;
}

// The bundled model may be missing from a trimmed install: fall back to noisy:0.3, and say so.
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

KernelBenchOptions kernel_options(const model::Transformer& m, const SuiteOptions& o) {
  const model::ModelConfig& mc = m.config();
  const bool quick = o.quick;
  KernelBenchOptions ko;
  ko.kv_dtype = o.kv_dtype.value_or(m.default_kv_dtype());
  ko.head_dim = mc.head_dim;
  ko.kv_heads = mc.num_kv_heads;
  ko.heads = mc.num_heads;
  if (quick) {
    ko.working_set_bytes = 128LL << 20;
    ko.batches = {16};
    ko.contexts = {1024};
    ko.seconds_per_case = 0.1;
  }
  return ko;
}

DecodeBound measure_decode_bound(const std::shared_ptr<const model::Transformer>& m, bool quick,
                                 const StreamRead& stream) {
  DecodeBound d;
  d.stream = stream;
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
  d.tpot_s = e.output(id).tpot_s();
  // The bound streams these very weights: read them (same pages, same moment) for the bandwidth.
  d.read_gbps = measure_read_gbps(m->weights().spans(), quick ? 0.1 : 0.3);
  d.weight_bytes = static_cast<double>(m->weights().bytes());
  d.bound_s = d.weight_bytes / (std::max(d.read_gbps, stream.gbps) * 1e9);
  d.curve = measure_decode_curve(
      *m, quick ? std::vector<int>{1, 4, 16} : std::vector<int>{1, 2, 4, 8, 16, 32},
      d.curve_context, quick ? 5 : 20);
  return d;
}

// K static reservations of the mean request, but never less than the largest request's static
// reservation, so that every policy can always serve every request; rounded to 16 slots.
std::int64_t kv_budget(const workload::Trace& trace, std::int32_t cap, double static_slots) {
  double mean_prompt = 0.0;
  std::int64_t max_prompt = 0;
  for (const auto& r : trace.requests) {
    mean_prompt += r.prompt_tokens;
    max_prompt = std::max<std::int64_t>(max_prompt, r.prompt_tokens);
  }
  mean_prompt /= static_cast<double>(trace.requests.size());
  const std::int64_t slots = std::max<std::int64_t>(
      static_cast<std::int64_t>(static_slots * (mean_prompt + cap)), max_prompt + cap);
  return (slots + 15) / 16 * 16;
}

E2eRun prepare_run(const WorkloadSpec& w, const model::Transformer& model, std::string& predictor,
                   const SuiteOptions& o) {
  const model::ModelConfig& mc = model.config();
  E2eRun run;
  run.trace = sample_trace(w, o.seed);
  run.max_tokens = w.cap;
  run.max_tokens_is_output = w.file;  // a trace file is the server comparison: loadgen's semantics
  run.odma_max_extents = o.extents;
  run.predictions = predictions_for(run.trace, predictor, o.seed, w.cap);
  run.capacity = o.kv_slots > 0 ? o.kv_slots : kv_budget(run.trace, w.cap, w.static_slots);
  if (o.kv_budget_dtype) {  // the same bytes in the arena's own slots
    run.capacity = run.capacity * model.kv_bytes_per_slot(o.kv_budget_dtype) /
                   model.kv_bytes_per_slot(o.kv_dtype);
  }
  run.arena = model.make_storage(run.capacity, o.kv_dtype);  // one arena: the same pages for all
  std::int64_t max_prompt = 0;
  for (const auto& r : run.trace.requests)
    max_prompt = std::max<std::int64_t>(max_prompt, r.prompt_tokens);
  // The model length this trace needs; static reserves prompt + cap within it.
  run.max_model_len = static_cast<std::int32_t>(
      std::min<std::int64_t>(mc.max_position_embeddings, max_prompt + w.cap));
  return run;
}

}  // namespace

SuiteOptions quick_defaults() {
  SuiteOptions o;
  o.quick = true;
  o.requests = 8;
  o.long_requests = 2;
  o.max_tokens = 128;
  return o;
}

SuiteOptions dram_defaults() {
  SuiteOptions o;
  o.preset = "qwen2-0.5b-shape";
  o.e2e_only = true;
  o.offline_only = true;
  o.repeats = 3;
  o.paged_blocks = {16, 64, 256};
  o.policies = {"static", "paged", "odma"};
  o.requests = 24;
  o.long_requests = 4;
  return o;
}

void validate(const SuiteOptions& o) {
  if (o.kv_slots < 0) throw Error("--kv-slots must be >= 1");
  if (o.repeats < 1) throw Error("--repeats must be >= 1");
  for (std::int32_t b : o.paged_blocks)
    if (b < 1) throw Error("--paged-blocks: every block size must be >= 1");
  if (o.prefix_caching != "on" && o.prefix_caching != "off" && o.prefix_caching != "both")
    throw Error("--prefix-caching must be on, off or both (got '" + o.prefix_caching + "')");
  if (o.growth != "next-bucket" && o.growth != "conditioned" && o.growth != "both")
    throw Error("--growth must be next-bucket, conditioned or both (got '" + o.growth + "')");
  if (o.requests < 1 || o.long_requests < 1 || o.max_tokens < 1 || o.static_slots < 1 ||
      o.extents < 1) {
    throw Error(
        "--requests, --long-requests, --max-tokens, --extents must be >= 1 and --static-slots "
        ">= 1");
  }
}

BenchModel load_bench_model(const SuiteOptions& o) {
  auto kernels = std::make_shared<const model::TimedKernels>(model::default_kernels());
  if (o.model_dir) return {model::Transformer::load(*o.model_dir, o.load, kernels), *o.model_dir};
  const model::ModelConfig c = model::preset_config(o.preset);
  // A preset's checkpoint (make-random) is BF16, so "auto" means BF16 here too.
  const model::DType dtype = model::resolve_weight_dtype(o.load, model::DType::kBF16);
  return {
      std::make_shared<const model::Transformer>(c, model::random_weights(c, 1, dtype), kernels),
      "random Qwen2 `" + o.preset + "` preset (seed 1)"};
}

std::vector<std::string> bench_policies(const SuiteOptions& o) {
  const std::vector<std::string> base = o.policies.empty() ? kv::policy_names() : o.policies;
  std::vector<std::string> named;
  for (const std::string& p : base) {
    if (p != "paged" || o.paged_blocks.empty()) {
      named.push_back(p);
      continue;
    }
    for (std::int32_t b : o.paged_blocks) named.push_back("paged-" + std::to_string(b));
  }
  std::vector<std::string> cached;
  if (o.prefix_caching == "on") {
    cached = named;
  } else {
    for (const std::string& p : named) {
      if (o.prefix_caching == "both" || p == "static") cached.push_back(p);  // never caches
      if (p != "static") cached.push_back(p + "/nocache");
    }
  }
  if (o.growth == "next-bucket") return cached;
  std::vector<std::string> out;
  for (const std::string& p : cached) {
    const bool odma = p.rfind("odma", 0) == 0;
    if (!odma || o.growth == "both") out.push_back(p);
    if (odma) out.push_back(p + "/conditioned");
  }
  return out;
}

void run_suite(const SuiteOptions& o, SuiteObserver& observer) {
  validate(o);
  const std::vector<std::string> policies = bench_policies(o);
  const BenchModel bm = load_bench_model(o);
  observer.on_model(bm);
  const model::ModelConfig& mc = bm.model->config();

  // One STREAM-style probe for both tables that state a bound (about a second: 1 GiB, filled once).
  const StreamRead stream = o.e2e_only ? StreamRead{} : measure_stream_read(o.quick ? 5 : 10);
  KernelBenchResult kernels;
  if (o.kernels && !o.e2e_only) {
    const KernelBenchOptions ko = kernel_options(*bm.model, o);
    kernels = run_kernel_bench(ko);
    kernels.stream = stream;
    observer.on_kernels(kernels, ko);
  }
  DecodeBound decode;
  if (!o.e2e_only) {
    decode = measure_decode_bound(bm.model, o.quick, stream);
    observer.on_decode(decode);
  }
  if (o.skip_e2e) return;

  // The simulator, calibrated on this very run (or the shipped cpu-local profile without kernels).
  const sim::ModelShape shape = engine_shape(mc, bm.name, bm.model->weights().dtype(),
                                             o.kv_dtype.value_or(bm.model->default_kv_dtype()));
  const sim::DeviceProfile device =
      kernels.cases.empty()
          ? sim::load_device_profile("cpu-local")
          : measured_cpu_profile(kernels, decode.curve, decode.curve_context, shape);
  if (!kernels.cases.empty()) observer.on_profile(device);
  const sim::CostModel cost(device, shape);

  // The long workload's budget holds all of it at once: there the contest is attention reads over
  // long contexts (DESIGN.md: paged pays 1.5-1.7x), not admission, which the short ones measure.
  std::vector<WorkloadSpec> workloads = {
      {"alpaca", "alpaca", false, o.requests, o.max_tokens, o.static_slots},
      {"nq", "nq", false, o.requests, o.max_tokens, o.static_slots},
      {"arxiv-long", "arxiv", false, o.long_requests, o.max_tokens,
       std::max(o.static_slots, static_cast<double>(o.long_requests))}};
  if (o.trace_file) workloads = {{"trace", *o.trace_file, true, 0, o.max_tokens, o.static_slots}};
  std::string predictor = o.predictor;
  for (const WorkloadSpec& w : workloads) {
    E2eRun run = prepare_run(w, *bm.model, predictor, o);
    std::map<std::string, double> offline_rps;
    for (const std::string mode : {"offline", "poisson"}) {
      run.offline = mode == "offline";
      if ((o.quick || o.trace_file || o.offline_only) && !run.offline) continue;
      WorkloadResult result;
      if (!run.offline) {
        // 0.9 × the best offline RPS: static (memory-bound) is overloaded, the best policy is not.
        for (const auto& [p, rps] : offline_rps)
          result.poisson_rate = std::max(result.poisson_rate, 0.9 * rps);
        if (result.poisson_rate <= 0) continue;
        workload::apply_poisson_arrivals(run.trace, result.poisson_rate, o.seed);
      }
      run.workload = w.name + "/" + mode;
      result.run = &run;
      result.predictor = predictor;
      // Repeats interleave the policies (r1: A B C, r2: A B C, ...) so that drift in a shared
      // machine's speed lands on every policy alike.
      for (std::int32_t r = 0; r < o.repeats; ++r) {
        std::vector<E2eResult> rep;
        for (const std::string& policy : policies) {
          observer.on_progress(run.workload + (o.repeats > 1 ? " #" + std::to_string(r + 1) : ""),
                               policy);
          rep.push_back(run_e2e(bm.model, run, policy));
        }
        result.repeats.push_back(std::move(rep));
      }
      for (std::size_t i = 0; i < policies.size(); ++i) {
        std::vector<const E2eResult*> runs;
        for (const auto& rep : result.repeats) runs.push_back(&rep[i]);
        std::sort(runs.begin(), runs.end(), [](const E2eResult* a, const E2eResult* b) {
          return a->summary.tps < b->summary.tps;
        });
        result.rows.push_back(*runs[runs.size() / 2]);  // the median run (upper for even counts)
        if (run.offline) offline_rps[policies[i]] = result.rows.back().summary.rps;
      }
      for (const std::string& policy : policies)
        result.simulated.push_back(simulate_e2e(run, policy, cost));
      observer.on_workload(result);
    }
  }
}

}  // namespace odma::bench
