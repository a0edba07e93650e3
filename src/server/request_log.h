// `odma serve --request-log FILE`: one JSONL line per request that ended by itself (EOS, a stop
// string, max_tokens: the ones the length predictor learns from), in the trace format
// (docs/traces.md) so that `odma predictor train --trace FILE` and `odma replay --trace FILE` read
// it as it is:
//
//   {"id": "17", "prompt": "<what the predictor reads>", "prompt_tokens": 52, "output_tokens": 211,
//    "arrival_s": 12.5, "finish_reason": "stop", "ttft_s": 0.041, "latency_s": 3.2,
//    "cached_tokens": 40}
//
// arrival_s counts from the log's opening (the server's start). "prompt" is left out with
// `--request-log-prompts none` (prompts can be private). Lines are appended and flushed one by
// one, so a crash loses at most the line being written; an existing file is appended to.
#pragma once

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string_view>

#include "serve/request.h"

namespace odma::server {

class RequestLog {
 public:
  // Opens `path` for appending. Throws odma::Error naming it.
  RequestLog(const std::filesystem::path& path, bool with_prompts);
  ~RequestLog();
  RequestLog(const RequestLog&) = delete;
  RequestLog& operator=(const RequestLog&) = delete;

  // Writes `output`'s line if it ended by itself; `engine_now_s` (the engine's clock now) converts
  // its engine-clock arrival to the log's clock. Any thread.
  void write(const serve::RequestOutput& output, std::string_view prompt, double engine_now_s);

 private:
  std::mutex mu_;
  std::FILE* file_ = nullptr;
  bool with_prompts_;
  std::chrono::steady_clock::time_point opened_;
};

}  // namespace odma::server
