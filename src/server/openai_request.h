// odma's reading of POST /v1/chat/completions and POST /v1/completions bodies.
//
// Follows OpenAI's API reference (platform.openai.com/docs/api-reference/chat/create and
// .../completions/create); where OpenAI is silent or odma serves vLLM's clients, vLLM's protocol
// (entrypoints/openai/chat_completion/protocol.py, completion/protocol.py). Unknown fields are
// ignored (both do); a known field with a wrong type or value is a 400 naming it in `param`.
//
//   field                 chat compl accepted                 odma's value, and why
//   model                 x    x     string                   "" when absent: vLLM then serves
//                                                             its one model (OpenAI requires it)
//   messages              x          see openai_messages.h    non-empty
//   prompt                     x     "s" ["s"] [ids] [[ids]]  more than one prompt → 400
//   max_tokens            x    x     integer ≥ 1              chat: nullopt = up to the context
//                                                             (vLLM); completions: 16 if absent
//                                                             (OpenAI's and vLLM's default)
//   max_completion_tokens x          integer ≥ 1              OpenAI's newer name for max_tokens;
//                                                             both, and different → 400
//   temperature           x    x     [0, 2], default 1        OpenAI's default, which odma applies
//                                                             (the engine's own default is 0);
//                                                             0 = greedy
//   top_p                 x    x     (0, 1], default 1
//   top_k                 x    x     integer ≥ -1, default 0  vLLM extension; -1 and 0 mean off
//   seed                  x    x     integer, -2^63..2^64-1   a negative seed keeps its bits
//   stop                  x    x     string | [string]        no count limit (vLLM; OpenAI allows
//                                                             4); an empty string → 400
//   stream                x    x     boolean, default false
//   stream_options        x    x     null | {"include_usage": bool}
//                                                             non-empty without stream → 400
//                                                             (vLLM: "Stream options can only be
//                                                             defined when `stream=True`")
//   presence_penalty,     x    x     [-2, 2], default 0
//     frequency_penalty
//   ignore_eos            x    x     boolean                  vLLM extension
//   user                  x    x     string                   kept for logs
//   n                     x    x     integer 1..128           parallel samples, one choice each;
//                                                             the prompt is computed once (128 is
//                                                             OpenAI's limit)
//   best_of                    x     1                        (vLLM v1 dropped best_of too)
//   echo                       x     boolean                  the prompt in front of the text
//                                                             (and, with logprobs, its tokens
//                                                             scored, the first null); with
//                                                             max_tokens 0 only the prompt;
//                                                             streamed: the prompt's chunk
//                                                             first (vLLM)
//   suffix                     x     null or ""               anything else → 400 (as vLLM)
//   logprobs              x          boolean                  the sampled tokens' log-probabilities
//                              x     null | integer 0..20     ... with that many alternatives
//                                                             (OpenAI allows 5, vLLM 20)
//   top_logprobs          x          integer 0..20            alternatives per token; needs
//                                                             logprobs: true (else 400, as both)
//   prompt_logprobs       x    x     null | integer 0..20     vLLM's: each prompt token scored
//                                                             (+ that many alternatives) in vLLM's
//                                                             shape; with stream → 400 (as vLLM)
//   logit_bias            x    x     {}                       non-empty → 400: not supported
//   response_format       x    x     {"type": "text" |        the output follows it
//                                     "json_object" |         (server/structured_output.h, which
//                                     "json_schema"}          also reads vLLM's structured_outputs
//   structured_outputs,   x    x     vLLM's                   and guided_json/regex/choice)
//     guided_*
//   tools                 x          [{"type": "function",    function tools (server/tool_calls.h
//                                      "function": {...}}]    says how calls are parsed)
//   tool_choice           x          "none" | "auto" |        OpenAI's defaults: "auto" with
//                                    "required" | {"type":    tools, "none" without; required /
//                                    "function", ...}         named constrain decoding to a call
//   parallel_tool_calls   x          boolean, default true    false: at most one call
//
// The neutral values above (false, 0, 1, [], {}, {"type": "text"}, null) are accepted because
// client libraries send them by default.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "grammar/grammar.h"
#include "server/openai_error.h"
#include "server/openai_messages.h"
#include "server/tool_call_validate.h"

namespace odma::server {

struct GenerationRequest {
  enum class Kind : std::uint8_t { kChat, kCompletion };

  Kind kind = Kind::kChat;
  std::string model;                  // "" = not given
  std::vector<ChatMessage> messages;  // chat: at least one
  // Completions: exactly one of these is set.
  std::optional<std::string> prompt_text;
  std::optional<std::vector<std::int32_t>> prompt_ids;
  std::optional<std::int32_t> max_tokens;  // chat: nullopt = until the context is full
  float temperature = 1.0f;                // 0 = greedy
  float top_p = 1.0f;
  std::int32_t top_k = 0;  // 0 = off (-1 in the request is read as 0)
  std::optional<std::uint64_t> seed;
  std::vector<std::string> stop;  // non-empty strings
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage: a final chunk with usage
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  bool ignore_eos = false;
  std::string user;
  bool echo = false;   // completions: return (and, with logprobs, score) the prompt too
  std::int32_t n = 1;  // choices (parallel samples of the prompt)
  // Log-probabilities asked for: nullopt = none, else the alternatives per token (0..20).
  std::optional<std::int32_t> logprobs;
  // vLLM's prompt_logprobs: nullopt = none, else the alternatives per prompt token (0..20).
  std::optional<std::int32_t> prompt_logprobs;
  // The grammar every choice's output follows (structured outputs); null = free text.
  grammar::GrammarPtr grammar;
  // Tool calling (chat): the function tools (validated) and how the model may use them.
  nlohmann::json tools = nlohmann::json::array();
  // The same in the body's key order (as vLLM's Python dicts keep them): the chat template shows
  // the tools to the model so, and a call's arguments are written in its parameters' property
  // order.
  nlohmann::ordered_json tools_in_order = nlohmann::ordered_json::array();
  ToolChoice tool_choice;  // none without tools, auto with them (OpenAI's defaults)
  bool parallel_tool_calls = true;
};

inline constexpr std::int64_t kMaxChoices = 128;  // OpenAI's upper bound for `n`

// Parses an already-parsed body (a JSON object). `ordered_body`, the same body with its key order
// kept, gives schemas and tools their written property order (nlohmann::json sorts keys); without
// it they are read in sorted order.
[[nodiscard]] std::variant<GenerationRequest, ApiError> parse_generation_request(
    const nlohmann::json& body, GenerationRequest::Kind kind,
    const nlohmann::ordered_json* ordered_body = nullptr);

// Parses raw body text: not JSON, ill-formed UTF-8 or not an object → 400.
[[nodiscard]] std::variant<GenerationRequest, ApiError> parse_generation_request(
    std::string_view body, GenerationRequest::Kind kind);

}  // namespace odma::server
