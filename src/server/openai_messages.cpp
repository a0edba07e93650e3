#include "server/openai_messages.h"

#include <optional>
#include <string_view>

#include "server/json_fields.h"

namespace odma::server {
namespace {

// The role as the chat template sees it, or nullopt if odma does not accept it.
std::optional<std::string> template_role(std::string_view role) {
  if (role == "system" || role == "developer") return "system";
  if (role == "user" || role == "assistant") return std::string(role);
  return std::nullopt;
}

// Joins the text parts of an array content; records a 400 in `fields` on the first bad part.
std::string join_text_parts(const nlohmann::json& parts, const std::string& where,
                            JsonFields& fields) {
  std::string text;
  for (std::size_t j = 0; j < parts.size() && fields.ok(); ++j) {
    const std::string at = where + "[" + std::to_string(j) + "]";
    const nlohmann::json& part = parts[j];
    if (!part.is_object()) {
      fields.fail(bad_request(
          backticked(at) + " must be an object, got " + std::string(json_type(part)) + ".", at));
      break;
    }
    JsonFields pf(part, at + ".");
    const std::optional<std::string> type = pf.string("type");
    if (!pf.ok()) {
      fields.fail(pf.error());
      break;
    }
    if (!type) {
      fields.fail(bad_request(backticked(at + ".type") + " is required.", at + ".type"));
      break;
    }
    if (*type != "text") {
      fields.fail(bad_request("Content parts of type `" + *type + "` (in " +
                                  backticked(at + ".type") +
                                  ") are not supported: odma accepts only text parts.",
                              at + ".type"));
      break;
    }
    const std::optional<std::string> part_text = pf.string("text");
    if (!pf.ok()) {
      fields.fail(pf.error());
      break;
    }
    if (!part_text) {
      fields.fail(bad_request(backticked(at + ".text") + " is required.", at + ".text"));
      break;
    }
    if (j > 0) text += '\n';
    text += *part_text;
  }
  return text;
}

// One message; records a 400 in `fields` (which reads messages[i]) when it is not acceptable.
ChatMessage parse_message(const std::string& at, JsonFields& fields) {
  ChatMessage msg;
  const std::optional<std::string> role = fields.string("role");
  if (!fields.ok()) return msg;
  if (!role) {
    fields.fail(bad_request(backticked(at + ".role") + " is required.", at + ".role"));
    return msg;
  }
  const std::optional<std::string> mapped = template_role(*role);
  if (!mapped) {
    fields.fail(bad_request("Messages with role `" + *role + "` (in " + backticked(at + ".role") +
                                ") are not supported: odma accepts system, developer, user and "
                                "assistant.",
                            at + ".role"));
    return msg;
  }
  msg.role = *mapped;

  const nlohmann::json* tool_calls = fields.find("tool_calls");
  if (tool_calls != nullptr && !(tool_calls->is_array() && tool_calls->empty())) {
    fields.fail(
        bad_request(backticked(at + ".tool_calls") + " is not supported: odma has no tool calling.",
                    at + ".tool_calls"));
    return msg;
  }

  const nlohmann::json* content = fields.find("content");
  const std::string where = at + ".content";
  if (content == nullptr) {
    if (msg.role != "assistant")
      fields.fail(bad_request(backticked(where) + " is required.", where));
  } else if (content->is_string()) {
    msg.content = fields.string("content").value_or("");
  } else if (content->is_array()) {
    msg.content = join_text_parts(*content, where, fields);
  } else {
    fields.fail_type("content", "a string or an array of content parts", *content);
  }
  return msg;
}

}  // namespace

std::variant<std::vector<ChatMessage>, ApiError> parse_chat_messages(
    const nlohmann::json* messages) {
  if (messages == nullptr) return bad_request("`messages` is required.", "messages");
  if (!messages->is_array()) {
    return bad_request(
        "`messages` must be an array, got " + std::string(json_type(*messages)) + ".", "messages");
  }
  if (messages->empty()) {
    return bad_request("`messages` must contain at least one message.", "messages");
  }
  std::vector<ChatMessage> out;
  out.reserve(messages->size());
  for (std::size_t i = 0; i < messages->size(); ++i) {
    const std::string at = "messages[" + std::to_string(i) + "]";
    const nlohmann::json& m = (*messages)[i];
    if (!m.is_object()) {
      return bad_request(
          backticked(at) + " must be an object, got " + std::string(json_type(m)) + ".", at);
    }
    JsonFields fields(m, at + ".");
    ChatMessage msg = parse_message(at, fields);
    if (!fields.ok()) return fields.error();
    out.push_back(std::move(msg));
  }
  return out;
}

}  // namespace odma::server
