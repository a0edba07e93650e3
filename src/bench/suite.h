// `odma bench` as one sequence of measurements (docs/bench.md):
//   (1) decode-attention bandwidth of the engine's kernels, contiguous vs paged   (kernels.h)
//   (2) batch-1 decode vs its weight-read bound, and the decode step vs batch     (decode_curve.h)
//   (3) every KV policy serving the same traces on the same model and KV budget   (e2e.h), each
//       table followed by the simulator's forecast of the same run               (simulated.h)
// The suite runs them in order and hands each result to a SuiteObserver as soon as it exists, so
// the CLI prints tables while the rest still runs; nothing here prints.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/decode_curve.h"
#include "bench/e2e.h"
#include "bench/kernels.h"
#include "bench/stream_read.h"
#include "model/transformer.h"
#include "sim/device_profile.h"
#include "sim/simulator.h"

namespace odma::bench {

struct SuiteOptions {
  std::optional<std::string> model_dir;  // none: the random Qwen2 `preset`, in memory
  std::string preset = "small";          // data/model_shapes/<preset>.json (model/random_model.h)
  model::LoadOptions load;               // weights' dtype (default: the checkpoint's; presets BF16)
  std::optional<model::DType> kv_dtype;  // nullopt: the model's default (BF16 for BF16 weights)
  // Size each KV budget in bytes of this dtype's slots, then hold as many kv_dtype slots as those
  // bytes take: K/V dtypes compared at the same memory (nullopt: budgets are in kv_dtype slots).
  std::optional<model::DType> kv_budget_dtype;
  std::int32_t repeats = 1;  // e2e runs per policy, interleaved across policies
  // The paged policy at these block sizes ("paged-16", ...; empty: the policy's default 16).
  std::vector<std::int32_t> paged_blocks;
  bool quick = false;                 // ~1 minute: fewer requests, one kernel case, offline only
  bool kernels = true;                // part (1); without it the simulator uses cpu-local
  std::vector<std::string> policies;  // every policy of kv::policy_names() when empty
  // Prefix caching: "on" (vLLM's default), "off", or "both": every policy that caches runs
  // twice, as P and as P/nocache.
  std::string prefix_caching = "on";
  std::string growth = "next-bucket";  // odma: next-bucket | conditioned | both (odma/conditioned)
  std::string predictor = "bundled@0.5";
  std::uint64_t seed = 1;
  std::size_t requests = 48;      // per Alpaca / NQ workload
  std::size_t long_requests = 8;  // in the arXiv long-context workload
  std::int32_t max_tokens = 256;  // generation cap (static reserves prompt + this); caps lengths
  double static_slots = 3.0;      // KV budget in static reservations of the mean request
  std::int32_t extents = 1;       // odma: extents per request
  // Instead of the built-in workloads: this JSONL trace only, all requests at once (what
  // `odma loadgen --trace FILE --request-rate inf --ignore-eos` sends a server).
  std::optional<std::string> trace_file;
  std::int64_t kv_slots = 0;  // the KV budget in slots (0: from static_slots)
  bool e2e_only = false;      // skip parts (1) and (2); the simulator uses cpu-local
  bool skip_e2e = false;      // stop after parts (1) and (2)
  bool offline_only = false;  // end to end: all-at-once arrivals only (no Poisson tables)
};

// Defaults of --quick: 8 + 8 + 2 requests, cap 128.
SuiteOptions quick_defaults();

// Defaults of --dram, the documented DRAM-resident end-to-end configuration (docs/bench.md): the
// qwen2-0.5b-shape preset (0.94 GiB of BF16 weights, >= 4x the LLC), end to end only, all at
// once, static / paged at 16, 64 and 256-token blocks / odma, 24 + 24 + 4 requests, 3 interleaved
// repeats (19 minutes on 2 cores, 2026-12-01).
SuiteOptions dram_defaults();

// Throws odma::Error naming the option when a count or size is out of range.
void validate(const SuiteOptions& options);

struct BenchModel {
  std::shared_ptr<const model::Transformer> model;
  std::string name;  // the directory, or a description of the preset
};
// The model the suite serves: the directory, or the preset's random weights in memory, on the
// machine's kernels wrapped in model::TimedKernels (attention's share of the step).
BenchModel load_bench_model(const SuiteOptions& options);

// The policy names one suite run compares: `options.policies` (all when empty) with "paged"
// expanded to "paged-N" for each of options.paged_blocks.
std::vector<std::string> bench_policies(const SuiteOptions& options);

struct DecodeBound {
  double weight_bytes = 0;  // bytes a batch-1 decode step streams
  double read_gbps = 0;     // read bandwidth of those very weights (immune to page placement)
  StreamRead stream;        // the machine's STREAM-style read of a fresh buffer (stream_read.h)
  // weight_bytes ÷ the faster of the two reads: a bound the decode cannot beat, whether the
  // weights sit in DRAM (STREAM is faster) or in cache (their own read is).
  double bound_s = 0;
  double tpot_s = 0;        // measured batch-1 time per output token
  int curve_context = 256;  // context of every point of the curve
  std::vector<DecodePoint> curve;
};

// One end-to-end table: every policy on one workload in one arrival mode.
struct WorkloadResult {
  const E2eRun* run = nullptr;  // the run as served (trace, budget, predictions)
  double poisson_rate = 0;      // requests/s; 0 offline
  std::vector<E2eResult> rows;  // one per policy, in option order: its median-TPS run
  // Every run: repeats[r][i] is policy i in repeat r (policies interleaved within a repeat).
  std::vector<std::vector<E2eResult>> repeats;
  std::vector<sim::SimResult> simulated;  // the simulator on the same run, same order
  std::string predictor;                  // the spec actually used (bundled may fall back)
};

class SuiteObserver {
 public:
  virtual ~SuiteObserver() = default;
  virtual void on_model(const BenchModel& /*model*/) {}
  virtual void on_kernels(const KernelBenchResult& /*k*/, const KernelBenchOptions& /*o*/) {}
  virtual void on_decode(const DecodeBound& /*d*/) {}
  virtual void on_profile(const sim::DeviceProfile& /*measured*/) {}
  virtual void on_progress(const std::string& /*workload*/, const std::string& /*policy*/) {}
  virtual void on_workload(const WorkloadResult& /*w*/) {}
};

// Runs the whole suite, reporting each part to `observer` as it completes.
void run_suite(const SuiteOptions& options, SuiteObserver& observer);

}  // namespace odma::bench
