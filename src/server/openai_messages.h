// Chat messages as odma's chat template takes them: a role and the content as one text.
//
//   {"role":"user", "content":"hi"}                                  → {"user", "hi"}
//   {"role":"user", "content":[{"type":"text","text":"a"},
//                              {"type":"text","text":"b"}]}          → {"user", "a\nb"}
//        text parts are joined with "\n" as vLLM does (entrypoints/chat_utils.py); OpenAI is silent
//   {"role":"assistant", "content":null} (or no content)             → {"assistant", ""}
//        OpenAI lets an assistant message omit content (it then carries tool_calls)
//   {"role":"developer", ...}                                        → {"system", ...}
//        OpenAI's newer name for system messages; chat templates only know "system" (vLLM passes
//        the role through to the template, which then usually drops or rejects it)
//
//   {"role":"assistant", "tool_calls":[{"id", "type":"function",
//           "function":{"name", "arguments":"{...}"}}]}              → tool_calls kept, each
//        arguments text parsed to an object: the chat templates write `arguments | tojson`, and
//        vLLM parses them so too (entrypoints/chat_utils.py)
//   {"role":"tool", "tool_call_id":"call_1", "content":"22 C"}         → {"tool", "22 C", id}
//
// Rejected with 400, naming the place in `param` (e.g. "messages[2].content[0].type"):
//   an empty list; roles other than system/developer/user/assistant/tool (the deprecated
//   `function` role included); content parts other than text (image_url, input_audio, file,
//   refusal); malformed tool_calls (not an array of function calls whose arguments are a JSON
//   text); strings that are not well-formed UTF-8.
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/openai_error.h"

namespace odma::server {

struct ChatMessage {
  ChatMessage() = default;
  ChatMessage(std::string r, std::string c) : role(std::move(r)), content(std::move(c)) {}

  std::string role;     // "system", "user", "assistant" or "tool"
  std::string content;  // the text parts, joined
  // An assistant turn's calls: OpenAI's array with each function.arguments an object; null: none.
  nlohmann::json tool_calls = nullptr;
  std::string tool_call_id;  // a tool turn's: the call it answers ("" when not given)
  bool has_content = true;   // false: an assistant turn without content (it carries tool_calls)

  bool operator==(const ChatMessage&) const = default;
};

// The messages as the chat template reads them: {"role", "content"} each, plus "tool_calls" and
// "tool_call_id" where a message has them (templates test `'tool_calls' in message`), content null
// where a message had none.
[[nodiscard]] nlohmann::ordered_json template_messages(const std::vector<ChatMessage>& messages);
// True when a message carries tool_calls or is a tool turn: the template needs the full form.
[[nodiscard]] bool uses_tools(const std::vector<ChatMessage>& messages);

// Parses the value of the request's "messages" field; nullptr = absent or null (→ 400).
[[nodiscard]] std::variant<std::vector<ChatMessage>, ApiError> parse_chat_messages(
    const nlohmann::json* messages);

}  // namespace odma::server
