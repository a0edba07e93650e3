#include "server/tokenize_request.h"

#include <utility>

#include "server/json_fields.h"
#include "server/tool_call_validate.h"

namespace odma::server {
namespace {

ApiError not_an_object(const nlohmann::json& body) {
  return bad_request("The request body must be a JSON object, got " + std::string(json_type(body)) +
                     ".");
}

// Parses text, then hands the object to `parse`.
template <typename Parse>
auto from_text(std::string_view body, Parse parse) -> decltype(parse(nlohmann::json())) {
  auto parsed = parse_json_object(body);
  if (auto* e = std::get_if<ApiError>(&parsed)) return std::move(*e);
  return parse(std::get<nlohmann::json>(parsed));
}

}  // namespace

std::variant<TokenizeRequest, ApiError> parse_tokenize_request(const nlohmann::json& body) {
  if (!body.is_object()) return not_an_object(body);
  JsonFields f(body);
  TokenizeRequest r;
  const bool has_prompt = f.find("prompt") != nullptr;
  const bool has_messages = f.find("messages") != nullptr;
  if (has_prompt == has_messages) {
    return bad_request("Give exactly one of `prompt` and `messages`.",
                       has_prompt ? "messages" : "prompt");
  }
  if (has_prompt) {
    r.prompt = f.string("prompt");
  } else {
    auto messages = parse_chat_messages(f.find("messages"));
    if (auto* e = std::get_if<ApiError>(&messages)) return std::move(*e);
    r.messages = std::move(std::get<std::vector<ChatMessage>>(messages));
    r.add_generation_prompt = f.boolean("add_generation_prompt").value_or(true);
    if (const nlohmann::json* tools = f.find("tools")) {
      if (const std::optional<std::string> why = validate_tools(*tools))
        return bad_request(*why, "tools");
      r.tools = nlohmann::ordered_json::parse(tools->dump());  // sorted keys: see below
    }
  }
  r.model = f.string("model").value_or("");
  r.add_special_tokens = f.boolean("add_special_tokens").value_or(has_prompt);
  if (!f.ok()) return f.error();
  return r;
}

std::variant<TokenizeRequest, ApiError> parse_tokenize_request(std::string_view body) {
  auto r = from_text(body, [](const nlohmann::json& j) { return parse_tokenize_request(j); });
  if (auto* t = std::get_if<TokenizeRequest>(&r); t != nullptr && !t->tools.empty())
    t->tools = nlohmann::ordered_json::parse(body)["tools"];  // the body's key order (valid JSON)
  return r;
}

std::variant<DetokenizeRequest, ApiError> parse_detokenize_request(const nlohmann::json& body) {
  if (!body.is_object()) return not_an_object(body);
  JsonFields f(body);
  DetokenizeRequest r;
  r.model = f.string("model").value_or("");
  const nlohmann::json* tokens = f.find("tokens");
  if (tokens == nullptr) {
    f.fail(bad_request("`tokens` is required.", "tokens"));
  } else if (!tokens->is_array()) {
    f.fail_type("tokens", "an array of token ids", *tokens);
  } else {
    r.tokens = read_token_ids(*tokens, "tokens", f);
  }
  if (!f.ok()) return f.error();
  return r;
}

std::variant<DetokenizeRequest, ApiError> parse_detokenize_request(std::string_view body) {
  return from_text(body, [](const nlohmann::json& j) { return parse_detokenize_request(j); });
}

}  // namespace odma::server
