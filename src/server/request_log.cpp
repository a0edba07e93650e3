#include "server/request_log.h"

#include <cerrno>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace odma::server {
namespace {

const char* finish_name(serve::FinishReason r) {
  switch (r) {
    case serve::FinishReason::kEos:
    case serve::FinishReason::kStopString:
      return "stop";
    case serve::FinishReason::kLength:
    case serve::FinishReason::kForced:
      return "length";
    default:
      return nullptr;  // cancelled or failed: no length to learn from
  }
}

}  // namespace

RequestLog::RequestLog(const std::filesystem::path& path, bool with_prompts)
    : with_prompts_(with_prompts), opened_(std::chrono::steady_clock::now()) {
  file_ = std::fopen(path.c_str(), "a");
  if (file_ == nullptr)
    throw Error("--request-log " + path.string() + ": cannot open for appending (" +
                std::strerror(errno) + ")");
}

RequestLog::~RequestLog() {
  if (file_ != nullptr) std::fclose(file_);
}

void RequestLog::write(const serve::RequestOutput& o, std::string_view prompt,
                       double engine_now_s) {
  const char* finish = finish_name(o.finish);
  if (finish == nullptr) return;
  const double now_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - opened_).count();
  // The request arrived (engine_now − arrival) before now, on the engine's clock.
  const double arrival_s = std::max(0.0, now_s - (engine_now_s - o.arrival_s));
  nlohmann::ordered_json j;
  j["id"] = std::to_string(o.id);
  if (with_prompts_ && !prompt.empty()) j["prompt"] = prompt;
  j["prompt_tokens"] = o.prompt_tokens;
  j["output_tokens"] = static_cast<std::int64_t>(o.output_ids.size());
  j["arrival_s"] = arrival_s;
  j["finish_reason"] = finish;
  j["ttft_s"] = o.first_token_s;
  j["latency_s"] = o.latency_s();
  j["cached_tokens"] = o.cached_tokens;
  const std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  if (std::fwrite(line.data(), 1, line.size(), file_) == line.size()) std::fflush(file_);
}

}  // namespace odma::server
