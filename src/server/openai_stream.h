// The chunks of a streamed response (stream: true), each sent as one SSE event (sse.h), in
// OpenAI's shapes (platform.openai.com/docs/api-reference/chat-streaming). One id and one
// `created` for every chunk of a stream.
//
//   chat          role     {"id", "object": "chat.completion.chunk", "created", "model",
//                           "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
//                                        "logprobs": null, "finish_reason": null}]}
//                          first; OpenAI and vLLM (serving_chat.py) both send content "" in it
//                 text     ... "delta": {"content": "<text>"} ... "finish_reason": null
//                 calls    ... "delta": {"tool_calls": [{"index": k, "id", "type": "function",
//                           "function": {"name", "arguments": ""}}]} opens call k, then
//                           ... "delta": {"tool_calls": [{"index": k, "function": {"arguments":
//                           text}}]} (OpenAI's delta.tool_calls; vLLM sends the same)
//                 finish   ... "delta": {} ... "finish_reason": "stop" | "length" | "tool_calls"
//                          OpenAI sends the reason with an empty delta; vLLM puts it on the chunk
//                          that carries the last text. odma: {"content": rest} when text is left
//                          (the stop-string hold-back flushes some at the end), else {}
//   completions   text     {"id", "object": "text_completion", "created", "model",
//                           "choices": [{"index": 0, "text": "<text>", "logprobs": null,
//                                        "finish_reason": null}]}
//                 finish   the same with "finish_reason" set; "text" may be ""
//   both          usage    {..., "choices": [], "usage": {...}}: only with
//                          stream_options.include_usage, after the finish chunk; every other
//                          chunk then carries "usage": null (OpenAI; vLLM leaves the key out)
//                 then     data: [DONE]
//
// An error after the stream began (the 200 status is already sent): the event
// data: {"error": {...}} and then data: [DONE], as vLLM streams it (create_streaming_error_response
// in entrypoints/openai/serving_engine.py, which wraps the error object under "error").
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/openai_error.h"
#include "server/openai_request.h"
#include "server/openai_response.h"

namespace odma::server {

class StreamChunks {
 public:
  StreamChunks(GenerationRequest::Kind kind, ResponseHeader header, bool include_usage);

  // Chat streams open with a role chunk; completion streams have none.
  [[nodiscard]] bool has_role_chunk() const { return kind_ == GenerationRequest::Kind::kChat; }
  // `index`: the choice (OpenAI's `n`: each choice streams its own role, text and finish chunks,
  // interleaved as they come). Precondition: has_role_chunk() (odma::Error otherwise).
  // `logprobs`: the log-probabilities of the tokens this chunk carries (openai_logprobs.h), or
  // null.
  [[nodiscard]] nlohmann::json role_chunk(std::size_t index = 0) const;
  [[nodiscard]] nlohmann::json text_chunk(std::string_view text, std::size_t index = 0,
                                          nlohmann::json logprobs = nullptr) const;
  // One piece of tool call `call` (the k of delta.tool_calls[].index): with `id` and `name` it
  // opens the call, else it carries more of its arguments.
  [[nodiscard]] nlohmann::json tool_call_chunk(std::size_t index, int call,
                                               const std::optional<std::string>& id,
                                               const std::optional<std::string>& name,
                                               std::string_view arguments) const;
  // `text`: what is left to send ("" when nothing is).
  [[nodiscard]] nlohmann::json finish_chunk(std::string_view text, FinishReason finish,
                                            std::size_t index = 0,
                                            nlohmann::json logprobs = nullptr) const;
  // Precondition: include_usage (odma::Error otherwise: the client did not ask for it).
  [[nodiscard]] nlohmann::json usage_chunk(const Usage& usage) const;

  [[nodiscard]] const ResponseHeader& header() const { return header_; }

 private:
  [[nodiscard]] nlohmann::json chunk(nlohmann::json choices) const;
  [[nodiscard]] nlohmann::json choice(std::size_t index, std::string_view text,
                                      const nlohmann::json& finish, bool role,
                                      nlohmann::json logprobs = nullptr) const;

  GenerationRequest::Kind kind_;
  ResponseHeader header_;
  bool include_usage_;
};

// The events that end a stream with `error`: "data: {"error": {...}}\n\ndata: [DONE]\n\n".
[[nodiscard]] std::string stream_error_events(const ApiError& error);

}  // namespace odma::server
