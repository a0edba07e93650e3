#include "server/openai_stream.h"

#include <utility>

#include "base/error.h"
#include "server/sse.h"

namespace odma::server {

StreamChunks::StreamChunks(GenerationRequest::Kind kind, ResponseHeader header, bool include_usage)
    : kind_(kind), header_(std::move(header)), include_usage_(include_usage) {}

nlohmann::json StreamChunks::chunk(nlohmann::json choices) const {
  const bool chat = kind_ == GenerationRequest::Kind::kChat;
  nlohmann::json c = {{"id", header_.id},
                      {"object", chat ? "chat.completion.chunk" : "text_completion"},
                      {"created", header_.created},
                      {"model", header_.model},
                      {"choices", std::move(choices)}};
  if (include_usage_) c["usage"] = nullptr;
  return c;
}

nlohmann::json StreamChunks::choice(std::size_t index, std::string_view text,
                                    const nlohmann::json& finish, bool role,
                                    nlohmann::json logprobs) const {
  nlohmann::json ch = {
      {"index", index}, {"logprobs", std::move(logprobs)}, {"finish_reason", finish}};
  if (kind_ == GenerationRequest::Kind::kCompletion) {
    ch["text"] = text;
    return ch;
  }
  nlohmann::json delta = nlohmann::json::object();
  if (role) delta["role"] = "assistant";
  if (role || !text.empty() || finish.is_null()) delta["content"] = text;
  ch["delta"] = std::move(delta);
  return ch;
}

nlohmann::json StreamChunks::role_chunk(std::size_t index) const {
  if (!has_role_chunk()) throw Error("stream: completion streams have no role chunk");
  return chunk(nlohmann::json::array({choice(index, "", nullptr, /*role=*/true)}));
}

nlohmann::json StreamChunks::text_chunk(std::string_view text, std::size_t index,
                                        nlohmann::json logprobs) const {
  return chunk(
      nlohmann::json::array({choice(index, text, nullptr, /*role=*/false, std::move(logprobs))}));
}

nlohmann::json StreamChunks::tool_call_chunk(std::size_t index, int call,
                                             const std::optional<std::string>& id,
                                             const std::optional<std::string>& name,
                                             std::string_view arguments) const {
  nlohmann::json piece = {{"index", call}};
  if (id) piece["id"] = *id;
  if (id || name) piece["type"] = "function";
  nlohmann::json function = {{"arguments", arguments}};
  if (name) function["name"] = *name;
  piece["function"] = std::move(function);
  nlohmann::json ch = {{"index", index},
                       {"delta", {{"tool_calls", nlohmann::json::array({std::move(piece)})}}},
                       {"logprobs", nullptr},
                       {"finish_reason", nullptr}};
  return chunk(nlohmann::json::array({std::move(ch)}));
}

nlohmann::json StreamChunks::finish_chunk(std::string_view text, FinishReason finish,
                                          std::size_t index, nlohmann::json logprobs) const {
  return chunk(nlohmann::json::array(
      {choice(index, text, to_string(finish), /*role=*/false, std::move(logprobs))}));
}

nlohmann::json StreamChunks::usage_chunk(const Usage& usage) const {
  if (!include_usage_) throw Error("stream: a usage chunk needs stream_options.include_usage");
  nlohmann::json c = chunk(nlohmann::json::array());
  c["usage"] = to_json(usage);
  return c;
}

std::string stream_error_events(const ApiError& error) {
  return sse::data_event(to_json(error)) + std::string(sse::kDoneEvent);
}

}  // namespace odma::server
