// Response bodies of `odma serve` that are not streamed, in OpenAI's shapes
// (platform.openai.com/docs/api-reference/chat/object and .../completions/object), and vLLM's
// shapes for what OpenAI lacks or leaves open (/v1/models fields, /tokenize, /detokenize).
//
//   chat.completion   {"id": "chatcmpl-…", "object": "chat.completion", "created": <unix s>,
//                      "model": m, "choices": [{"index": 0,   (one per sample, index 0..n−1)
//                                               "message": {"role": "assistant", "content": text},
//                                               "logprobs": null,
//                                               "finish_reason": "stop" | "length"}],
//                      with tool calls: "message": {"role", "content": text or null when none,
//                      "tool_calls": [{"id", "type": "function", "function": {"name",
//                      "arguments": JSON text}}]}, "finish_reason": "tool_calls" (OpenAI)
//                      "usage": {"prompt_tokens": P, "completion_tokens": C, "total_tokens": P+C}}
//                      with n samples P counts the prompt once and C sums every choice (OpenAI)
//   text_completion   {"id": "cmpl-…", "object": "text_completion", "created", "model",
//                      "choices": [{"index": 0, "text": text, "logprobs": null, "finish_reason"}],
//                      "usage": {...}}
//   model list        {"object": "list", "data": [{"id", "object": "model", "created",
//                      "owned_by": "odma", "root": id, "parent": null, "max_model_len"}]}
//                      vLLM's ModelCard less its `permission` list (OpenAI dropped that field)
//   /tokenize         {"count": n, "max_model_len", "tokens": [ids]}      (vLLM's TokenizeResponse)
//   /detokenize       {"prompt": text}                                    (vLLM's)
//
// No `system_fingerprint`: OpenAI's SDKs type it optional, vLLM leaves it null, and odma has no
// backend fingerprint to report. Finish reasons: the engine's EOS and stop-string endings are
// "stop", max_tokens is "length" (OpenAI's two values for text without tools).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace odma::server {

enum class FinishReason : std::uint8_t { kStop, kLength, kToolCalls };

// "stop", "length" or "tool_calls".
[[nodiscard]] std::string_view to_string(FinishReason r);

struct Usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t cached_tokens = 0;  // of the prompt, read from the prefix cache
};

// {"prompt_tokens": P, "completion_tokens": C, "total_tokens": P + C,
//  "prompt_tokens_details": {"cached_tokens": K}} (OpenAI's field; vLLM fills it likewise)
[[nodiscard]] nlohmann::json to_json(const Usage& u);

// What every response and every chunk of one stream shares.
struct ResponseHeader {
  std::string id;            // chat_completion_id() / completion_id() (request_id.h)
  std::int64_t created = 0;  // unix seconds (unix_time_now())
  std::string model;         // the served model's name
};

// One choice of a response: OpenAI's `n` asks for several samples, indexed 0..n−1 in `choices`.
struct ChoiceText {
  std::string text;
  FinishReason finish = FinishReason::kStop;
  nlohmann::json logprobs = nullptr;    // openai_logprobs.h's object when asked, else null
  nlohmann::json tool_calls = nullptr;  // chat: OpenAI's message.tool_calls array, else null
};

// OpenAI's tool_call object: {"id", "type": "function", "function": {"name", "arguments"}}.
[[nodiscard]] nlohmann::json tool_call_json(const std::string& id, const std::string& name,
                                            const std::string& arguments);

[[nodiscard]] nlohmann::json chat_completion(const ResponseHeader& h,
                                             const std::vector<ChoiceText>& choices,
                                             const Usage& usage);
[[nodiscard]] nlohmann::json text_completion(const ResponseHeader& h,
                                             const std::vector<ChoiceText>& choices,
                                             const Usage& usage);

struct ModelCard {
  std::string id;
  std::int64_t created = 0;  // unix seconds: when the server started
  std::int64_t max_model_len = 0;
  std::string owned_by = "odma";
};

// One entry of the list; also the body of GET /v1/models/{id}.
[[nodiscard]] nlohmann::json to_json(const ModelCard& m);
[[nodiscard]] nlohmann::json model_list(const std::vector<ModelCard>& models);

[[nodiscard]] nlohmann::json tokenize_response(const std::vector<std::int32_t>& tokens,
                                               std::int64_t max_model_len);
[[nodiscard]] nlohmann::json detokenize_response(std::string_view prompt);

// Seconds since the Unix epoch (system clock), for `created`.
[[nodiscard]] std::int64_t unix_time_now();

}  // namespace odma::server
