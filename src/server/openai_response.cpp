#include "server/openai_response.h"

#include <chrono>

namespace odma::server {
namespace {

nlohmann::json response(const ResponseHeader& h, std::string_view object, nlohmann::json choices,
                        const Usage& usage) {
  return {{"id", h.id},
          {"object", object},
          {"created", h.created},
          {"model", h.model},
          {"choices", std::move(choices)},
          {"usage", to_json(usage)}};
}

}  // namespace

std::string_view to_string(FinishReason r) {
  switch (r) {
    case FinishReason::kStop:
      return "stop";
    case FinishReason::kLength:
      return "length";
    case FinishReason::kToolCalls:
      return "tool_calls";
  }
  return "stop";
}

nlohmann::json to_json(const Usage& u) {
  return {{"prompt_tokens", u.prompt_tokens},
          {"completion_tokens", u.completion_tokens},
          {"total_tokens", u.prompt_tokens + u.completion_tokens},
          {"prompt_tokens_details", {{"cached_tokens", u.cached_tokens}}}};
}

nlohmann::json chat_completion(const ResponseHeader& h, const std::vector<ChoiceText>& choices,
                               const Usage& usage) {
  nlohmann::json list = nlohmann::json::array();
  for (std::size_t i = 0; i < choices.size(); ++i) {
    nlohmann::json message = {{"role", "assistant"}, {"content", choices[i].text}};
    if (choices[i].tool_calls.is_array() && !choices[i].tool_calls.empty()) {
      if (choices[i].text.empty()) message["content"] = nullptr;  // as OpenAI answers a call
      message["tool_calls"] = choices[i].tool_calls;
    }
    list.push_back({{"index", i},
                    {"message", std::move(message)},
                    {"logprobs", choices[i].logprobs},
                    {"finish_reason", to_string(choices[i].finish)}});
  }
  return response(h, "chat.completion", std::move(list), usage);
}

nlohmann::json text_completion(const ResponseHeader& h, const std::vector<ChoiceText>& choices,
                               const Usage& usage) {
  nlohmann::json list = nlohmann::json::array();
  for (std::size_t i = 0; i < choices.size(); ++i) {
    list.push_back({{"index", i},
                    {"text", choices[i].text},
                    {"logprobs", choices[i].logprobs},
                    {"finish_reason", to_string(choices[i].finish)}});
  }
  return response(h, "text_completion", std::move(list), usage);
}

nlohmann::json tool_call_json(const std::string& id, const std::string& name,
                              const std::string& arguments) {
  return {
      {"id", id}, {"type", "function"}, {"function", {{"name", name}, {"arguments", arguments}}}};
}

nlohmann::json to_json(const ModelCard& m) {
  return {{"id", m.id},
          {"object", "model"},
          {"created", m.created},
          {"owned_by", m.owned_by},
          {"root", m.id},
          {"parent", nullptr},
          {"max_model_len", m.max_model_len}};
}

nlohmann::json model_list(const std::vector<ModelCard>& models) {
  nlohmann::json data = nlohmann::json::array();
  for (const ModelCard& m : models) data.push_back(to_json(m));
  return {{"object", "list"}, {"data", std::move(data)}};
}

nlohmann::json tokenize_response(const std::vector<std::int32_t>& tokens,
                                 std::int64_t max_model_len) {
  return {{"count", tokens.size()}, {"max_model_len", max_model_len}, {"tokens", tokens}};
}

nlohmann::json detokenize_response(std::string_view prompt) {
  return {{"prompt", prompt}};
}

std::int64_t unix_time_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace odma::server
