// vLLM's histogram buckets, so that dashboards and alerts written for vLLM's /metrics read odma's
// unchanged. Source: vllm/v1/metrics/loggers.py (PrometheusStatLogger.__init__, vLLM 0.11/0.12;
// the same values as v0's vllm/engine/metrics.py).
//
//   constant                      vLLM metrics using it
//   kTimeToFirstTokenSeconds      vllm:time_to_first_token_seconds
//   kInterTokenLatencySeconds     vllm:inter_token_latency_seconds,
//                                 vllm:time_per_output_token_seconds (its name before 0.11),
//                                 vllm:request_time_per_output_token_seconds (one per request)
//   kRequestLatencySeconds        vllm:e2e_request_latency_seconds,
//                                 vllm:request_queue_time_seconds,
//                                 vllm:request_inference_time_seconds,
//                                 vllm:request_prefill_time_seconds,
//                                 vllm:request_decode_time_seconds
//   kTimePerPrefillTokenSeconds   vllm:time_per_prefill_token_request_seconds
//   kIterationTokens              vllm:iteration_tokens_total (tokens per engine step)
//   kRequestParamsN               vllm:request_params_n
//   buckets_1_2_5(max_model_len)  vllm:request_prompt_tokens, vllm:request_generation_tokens,
//                                 vllm:request_params_max_tokens,
//                                 vllm:request_max_num_generation_tokens
//
// Resolution: a value read back from a histogram is known only to within its bucket, i.e. to a
// factor hi/lo of consecutive bounds. Worst steps: 1-2-5 buckets 2.5 (2 → 5); kInterTokenLatency
// 2.5 (0.01 → 0.025, 1 → 2.5); kRequestLatency 4 (1920 → 7680; 2 below 1920 s); kTimeToFirstToken
// 5 (0.001 → 0.005; 4 above 160 s); kTimePerPrefillToken 2.5; kIterationTokens 8 (1 → 8, then 2).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace odma::server::prometheus {

inline constexpr std::array<double, 22> kTimeToFirstTokenSeconds = {
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1,  0.25,  0.5,   0.75,
    1.0,   2.5,   5.0,  7.5,  10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0};

inline constexpr std::array<double, 19> kInterTokenLatencySeconds = {
    0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,  0.3,  0.4, 0.5,
    0.75, 1.0,   2.5,  5.0,   7.5, 10.0, 20.0, 40.0, 80.0};

inline constexpr std::array<double, 21> kRequestLatencySeconds = {
    0.3,  0.5,  0.8,  1.0,  1.5,   2.0,   2.5,   5.0,   10.0,   15.0,  20.0,
    30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};

inline constexpr std::array<double, 10> kTimePerPrefillTokenSeconds = {
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0};

inline constexpr std::array<double, 13> kIterationTokens = {1,   8,    16,   32,   64,   128,  256,
                                                            512, 1024, 2048, 4096, 8192, 16384};

inline constexpr std::array<double, 5> kRequestParamsN = {1, 2, 5, 10, 20};

// vLLM's build_1_2_5_buckets(max_value): 1, 2, 5, 10, 20, 50, ... while ≤ max_value.
[[nodiscard]] std::vector<double> buckets_1_2_5(std::int64_t max_value);

}  // namespace odma::server::prometheus
