// One `odma loadgen` request against an OpenAI-compatible server, timed as vLLM's benchmark
// client times it (benchmarks/backend_request_func.py): a streamed POST with
// stream_options.include_usage; TTFT at the first chunk with content, ITL between content chunks,
// output tokens from the final usage chunk; the SSE stream read as vLLM reads it (sse.h: ':'
// comment lines skipped, stops at [DONE]); any non-200 is a failure with its body recorded.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/loadgen_stats.h"

namespace odma::server {

struct Target {
  std::string host = "127.0.0.1";
  int port = 8000;
  std::string endpoint = "/v1/completions";  // or /v1/chat/completions
  std::string model;                         // "" = leave "model" out
  std::string api_key;                       // sent as "Authorization: Bearer ..." when set
  bool ignore_eos = false;
  double timeout_s = 600;  // per request
  // Put in front of every request: chat's first message (role "system"); completions' prompt
  // text starts with it (token-id prompts go without). "" = none.
  std::string system_prompt;
};

// "http://host:port" (a trailing "/v1" or "/" is dropped). Throws odma::Error for https or a
// malformed URL.
Target parse_base_url(const std::string& url);

struct LoadRequest {
  std::string prompt_text;               // sent as the user message / the prompt
  std::vector<std::int32_t> prompt_ids;  // completions only, when there is no text
  std::int64_t prompt_tokens = 0;        // as counted by the dataset (usage wins when present)
  std::int32_t max_tokens = 16;
  double arrival_s = 0;  // when to send it, from the benchmark's start
  // Chat: the whole conversation to send (a multi-turn client's history); null = the system
  // prompt (if any) and one user message of prompt_text.
  nlohmann::json messages;
  // Sent as X-Session-Id when set (one per conversation): a key a router can keep affinity on.
  std::string session_id;
};

// Sends `request` and waits for the whole stream. Never throws: failures are in the record.
RequestRecord send_request(const Target& target, const LoadRequest& request,
                           std::chrono::steady_clock::time_point benchmark_start);

// POST /tokenize {"prompt": text} → token ids (to build prompts of a given length for traces that
// have no text). Throws odma::Error when the server does not answer with ids.
std::vector<std::int32_t> tokenize_remote(const Target& target, const std::string& text);

}  // namespace odma::server
