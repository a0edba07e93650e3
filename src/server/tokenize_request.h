// vLLM's /tokenize and /detokenize bodies (vllm/entrypoints/openai/protocol.py: TokenizeCompletion-
// Request, TokenizeChatRequest, DetokenizeRequest); OpenAI has no such endpoints.
//
//   /tokenize, completion form  {"model"?, "prompt": str, "add_special_tokens"?: bool = true}
//   /tokenize, chat form        {"model"?, "messages": [...], "add_generation_prompt"?: bool =
//   true,
//                                "add_special_tokens"?: bool = false, "tools"?: [...]}
//        vLLM's defaults: a chat template already adds BOS, so the chat form adds no specials
//   /detokenize                 {"model"?, "tokens": [int, ...]}
//
// Exactly one of prompt and messages (both or neither → 400); unknown fields are ignored.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/openai_error.h"
#include "server/openai_messages.h"

namespace odma::server {

struct TokenizeRequest {
  std::string model;                  // "" = not given
  std::optional<std::string> prompt;  // the completion form (may be "")
  std::vector<ChatMessage> messages;  // the chat form, when prompt is nullopt
  bool add_generation_prompt = true;  // chat form only
  bool add_special_tokens = true;     // default: true for prompt, false for messages
  // Chat form: the tools the template shows (validated as chat requests' are), in the body's key
  // order, so that the count equals the chat request's prompt tokens.
  nlohmann::ordered_json tools = nlohmann::ordered_json::array();
};

struct DetokenizeRequest {
  std::string model;
  std::vector<std::int32_t> tokens;  // may be empty
};

[[nodiscard]] std::variant<TokenizeRequest, ApiError> parse_tokenize_request(
    const nlohmann::json& body);
[[nodiscard]] std::variant<TokenizeRequest, ApiError> parse_tokenize_request(std::string_view body);

[[nodiscard]] std::variant<DetokenizeRequest, ApiError> parse_detokenize_request(
    const nlohmann::json& body);
[[nodiscard]] std::variant<DetokenizeRequest, ApiError> parse_detokenize_request(
    std::string_view body);

}  // namespace odma::server
