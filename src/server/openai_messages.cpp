#include "server/openai_messages.h"

#include <optional>
#include <string_view>

#include "server/json_fields.h"

namespace odma::server {
namespace {

// The role as the chat template sees it, or nullopt if odma does not accept it.
std::optional<std::string> template_role(std::string_view role) {
  if (role == "system" || role == "developer") return "system";
  if (role == "user" || role == "assistant" || role == "tool") return std::string(role);
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

// An assistant message's tool_calls, each function.arguments text parsed to an object; records a
// 400 in `fields` on the first malformed call.
nlohmann::json read_tool_calls(const nlohmann::json& calls, const std::string& at,
                               JsonFields& fields) {
  if (!calls.is_array()) {
    fields.fail_type("tool_calls", "an array", calls);
    return nullptr;
  }
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const std::string here = at + "[" + std::to_string(i) + "]";
    const nlohmann::json& call = calls[i];
    const nlohmann::json* function =
        call.is_object() && call.contains("function") ? &call["function"] : nullptr;
    if (function == nullptr || !function->is_object() || !function->contains("name") ||
        !(*function)["name"].is_string()) {
      fields.fail(bad_request(backticked(here) +
                                  " must be {\"type\": \"function\", \"function\": {\"name\", "
                                  "\"arguments\"}}.",
                              here));
      return nullptr;
    }
    nlohmann::json arguments = nlohmann::json::object();
    if (const auto a = function->find("arguments"); a != function->end() && !a->is_null()) {
      arguments =
          a->is_string() ? nlohmann::json::parse(a->get<std::string>(), nullptr, false) : *a;
      if (arguments.is_discarded()) {
        fields.fail(bad_request(backticked(here + ".function.arguments") + " must be a JSON text.",
                                here + ".function.arguments"));
        return nullptr;
      }
    }
    nlohmann::json entry = {
        {"type", "function"},
        {"function", {{"name", (*function)["name"]}, {"arguments", arguments}}}};
    if (call.contains("id") && call["id"].is_string()) entry["id"] = call["id"];
    out.push_back(std::move(entry));
  }
  return out;
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
                                ") are not supported: odma accepts system, developer, user, "
                                "assistant and tool.",
                            at + ".role"));
    return msg;
  }
  msg.role = *mapped;

  const nlohmann::json* tool_calls = fields.find("tool_calls");
  if (tool_calls != nullptr && !(tool_calls->is_array() && tool_calls->empty())) {
    if (msg.role != "assistant") {
      fields.fail(bad_request(backticked(at + ".tool_calls") + " belongs to assistant messages.",
                              at + ".tool_calls"));
      return msg;
    }
    msg.tool_calls = read_tool_calls(*tool_calls, at + ".tool_calls", fields);
    if (!fields.ok()) return msg;
  }
  if (msg.role == "tool") msg.tool_call_id = fields.string("tool_call_id").value_or("");

  const nlohmann::json* content = fields.find("content");
  const std::string where = at + ".content";
  if (content == nullptr) {
    msg.has_content = false;
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

nlohmann::ordered_json template_messages(const std::vector<ChatMessage>& messages) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const ChatMessage& m : messages) {
    nlohmann::ordered_json j = {{"role", m.role}};
    // null only beside tool_calls (as OpenAI sends it): templates trim a plain turn's content.
    const bool null_content = !m.has_content && !m.tool_calls.is_null();
    j["content"] = null_content ? nlohmann::ordered_json() : nlohmann::ordered_json(m.content);
    if (!m.tool_calls.is_null())
      j["tool_calls"] = nlohmann::ordered_json::parse(m.tool_calls.dump());
    if (m.role == "tool" && !m.tool_call_id.empty()) j["tool_call_id"] = m.tool_call_id;
    out.push_back(std::move(j));
  }
  return out;
}

bool uses_tools(const std::vector<ChatMessage>& messages) {
  for (const ChatMessage& m : messages)
    if (m.role == "tool" || !m.tool_calls.is_null()) return true;
  return false;
}

}  // namespace odma::server
