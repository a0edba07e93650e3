// Engine counters and run summaries (vLLM's benchmark definitions).
//
//   TPS  = Σ output tokens ÷ wall seconds of the run        RPS = completed requests ÷ wall seconds
//   TTFT, TPOT per request as in request.h; p50/p90/p99 as base/quantiles.h (numpy's default),
//   over completed requests (TPOT over those with ≥ 2 tokens).
#pragma once

#include <cstdint>
#include <vector>

#include "base/quantiles.h"
#include "serve/request.h"

namespace odma::serve {

// Counters the engine keeps over its lifetime; each formula next to the field.
struct EngineCounters {
  std::int64_t steps = 0;           // step() calls that computed something
  std::int64_t batch_items = 0;     // Σ_steps work items (decodes + prefill chunks)
  std::int64_t prefill_tokens = 0;  // Σ prompt/recompute tokens computed
  std::int64_t decode_tokens = 0;   // Σ decode tokens computed
  std::int64_t output_tokens = 0;   // Σ tokens sampled
  std::int64_t copied_slots = 0;    // Σ CopyOp::length executed (migrations + compaction)
  std::int64_t completed = 0;       // requests finished by EOS / stop / length / forced
  std::int64_t failed = 0;          // requests the KV policy could not serve, or that failed alone
  std::int64_t cancelled = 0;       // requests dropped by cancel()
  double forward_s = 0.0;           // time inside Transformer::forward
  double copy_s = 0.0;              // time executing KV copies
  double step_s = 0.0;              // time inside step() (planning, copies, forward, sampling)
  std::int64_t grammar_masks = 0;   // Σ tokens sampled under a grammar (one mask each)
  double grammar_mask_s = 0.0;      // time computing and applying those masks
  // Mean work items per step = batch_items ÷ steps.
  double mean_batch() const {
    return steps == 0 ? 0.0 : static_cast<double>(batch_items) / static_cast<double>(steps);
  }
};

struct RunSummary {
  std::int64_t completed = 0;
  std::int64_t failed = 0;
  std::int64_t output_tokens = 0;
  double wall_s = 0.0;
  double tps = 0.0;                       // output tokens ÷ wall_s
  double rps = 0.0;                       // completed ÷ wall_s
  QuantileSummary ttft_s, tpot_s, itl_s;  // base/quantiles.h (numpy's percentiles)
};

// Summary of finished requests over a run that took `wall_s` seconds.
RunSummary summarize(const std::vector<RequestOutput>& outputs, double wall_s);

}  // namespace odma::serve
