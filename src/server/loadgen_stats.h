// `odma loadgen`'s figures, with vLLM's benchmark semantics and field names
// (benchmarks/benchmark_serving.py, vllm/benchmarks/serve.py) so that its JSON reads like vLLM's:
//
//   TTFT   arrival of the first chunk that carries content − request start
//   ITL    every gap between consecutive content chunks (pooled over requests)
//   TPOT   (latency − TTFT) ÷ (output tokens − 1), requests with > 1 output token, output tokens
//          from the response's usage
//   E2EL   request latency (start → last byte)
//   duration = the benchmark's wall time; request_throughput = completed ÷ duration;
//   output_throughput = Σ output tokens ÷ duration; total_token_throughput adds the input tokens;
//   request_goodput = requests meeting every --goodput SLO (ttft, tpot, e2el in ms) ÷ duration
// Mean, median, std (ddof 0) and p90 / p99 as numpy computes them (base/quantiles.h), in ms.
// Only successful requests count towards the latency figures; failed ones are counted and their
// errors kept.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/quantiles.h"

namespace odma::server {

struct RequestRecord {
  bool success = false;
  int status = 0;      // HTTP status (0: no response)
  std::string error;   // why it failed: the body of a non-200, or the transport error
  double start_s = 0;  // since the benchmark started
  double ttft_s = 0;   // first content chunk
  double latency_s = 0;
  std::vector<double> itl_s;       // gaps between content chunks
  std::int64_t prompt_tokens = 0;  // from usage (else what was sent)
  std::int64_t output_tokens = 0;  // from usage
  std::int64_t cached_tokens = 0;  // usage.prompt_tokens_details.cached_tokens (0 if absent)
  std::string text;                // the generated text
};

struct Slo {
  std::optional<double> ttft_ms, tpot_ms, e2el_ms;
};

// Parses "ttft:MS tpot:MS e2el:MS" (any subset, space- or comma-separated). Throws odma::Error.
Slo parse_goodput(const std::string& text);

struct LoadSummary {
  double duration_s = 0;
  std::int64_t completed = 0, failed = 0;
  std::int64_t total_input_tokens = 0, total_output_tokens = 0;
  std::int64_t total_cached_tokens = 0;  // prompt tokens the server read from its prefix cache
  double request_throughput = 0, request_goodput = 0, output_throughput = 0,
         total_token_throughput = 0;
  QuantileSummary ttft_s, tpot_s, itl_s, e2el_s;
  bool goodput_measured = false;
  std::vector<std::string> errors;  // one per failed request
};

LoadSummary summarize_load(const std::vector<RequestRecord>& records, double duration_s,
                           const Slo& slo);

// vLLM's JSON: duration, completed, failed, total_input_tokens, total_output_tokens,
// request_throughput, request_goodput, output_throughput, total_token_throughput, odma's
// total_cached_tokens and prefix_cache_hit_rate (cached ÷ input tokens) and, for each of
// ttft, tpot, itl, e2el: mean_*_ms, median_*_ms, std_*_ms, p90_*_ms, p99_*_ms; plus errors.
nlohmann::json to_json(const LoadSummary& s);

// Σ cached ÷ Σ input tokens over the completed requests (0 without input).
double hit_rate(const LoadSummary& s);

// The summary block vLLM prints ("============ Serving Benchmark Result ============" ...).
std::string format_summary(const LoadSummary& s);

}  // namespace odma::server
