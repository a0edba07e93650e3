// `odma bench` part 2: end-to-end serving throughput of every KV policy on one model, one KV
// memory budget and the same traces, through the real engine (real forward passes, real copies).
//
// Forced lengths: a random-weight model never says EOS where the trace's request did, so each
// request runs with ignore_eos and forced_output_tokens = min(trace output, cap) — it stops exactly
// there, as if EOS had been sampled. max_tokens (the cap) is what static reserves for.
//
// Arrivals: "offline" offers every request at t = 0; "poisson" offers them at a Poisson rate
// (the same seeded arrival times for every policy), in real time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kv/policy.h"
#include "kv/types.h"
#include "model/transformer.h"
#include "serve/engine_stats.h"
#include "workload/trace.h"

namespace odma::bench {

struct E2eResult {
  std::string workload;  // e.g. "alpaca/offline"
  std::string policy;
  serve::RunSummary summary;    // TPS, RPS, TTFT, TPOT over the run
  double kv_utilization = 0.0;  // Σ stored ÷ Σ reserved over steps (kv/metrics.h)
  double capacity_usage = 0.0;  // Σ stored ÷ Σ capacity over steps
  double mean_batch = 0.0;      // mean admitted (live) requests per step
  std::int64_t migrations = 0;
  std::int64_t preemptions = 0;
  std::int64_t failed_requests = 0;  // engine failures + policy failures (must be 0)
  std::int64_t copied_slots = 0;
  std::int64_t prefix_queries = 0;  // prompt tokens looked up in the prefix cache
  std::int64_t prefix_hits = 0;     // of them, read from it (not computed)
  double forward_s = 0.0;           // time in Transformer::forward
  double attention_s = 0.0;         // of which decode/prefill attention (0 without TimedKernels)
  double project_s = 0.0;           // and projections
};

// A policy name as the bench takes it: a kv::policy_names() entry, or "paged-N" for the paged
// policy with N-token blocks (the block size vLLM users pick: 16 by default, larger to jump less),
// either with "/nocache" appended for the same policy without prefix caching.
// "P[/nocache][/conditioned]": paged-N gives the block size, /nocache turns prefix caching off,
// /conditioned gives odma GrowthRule::kConditioned.
struct BenchPolicy {
  std::string policy;
  std::int32_t block_tokens = 16;
  bool prefix_caching = true;
  kv::GrowthRule growth = kv::GrowthRule::kNextBucket;
};
BenchPolicy parse_bench_policy(const std::string& name);

struct E2eRun {
  std::string workload;
  workload::Trace trace;  // output_tokens already capped; arrival_s used unless offline
  std::vector<kv::LengthPrediction> predictions;
  bool offline = true;
  std::int64_t capacity = 0;  // KV slots, the same for every policy
  std::int32_t max_tokens = 512;
  // Each request asks for exactly its output length as max_tokens (what `odma loadgen` and vLLM's
  // benchmark send), instead of the common cap: reservations then match a server under loadgen.
  bool max_tokens_is_output = false;
  std::int32_t max_model_len = 4096;
  std::int32_t odma_max_extents = 1;
  std::shared_ptr<model::KvStorage> arena;  // shared by every policy's run (EngineConfig::arena)
};

// Runs `run` under `policy` (parse_bench_policy) on `model`; prompts are deterministic random ids
// of the trace's lengths, or, for a trace with prefix blocks (mooncake-conv), the ids its blocks
// stand for (workload/prefix_blocks.h: equal blocks, equal ids), so that prompts share prefixes. If
// the model's kernels are model::TimedKernels, the result splits the forward time into attention
// and projections.
E2eResult run_e2e(std::shared_ptr<const model::Transformer> model, const E2eRun& run,
                  const std::string& policy);

}  // namespace odma::bench
