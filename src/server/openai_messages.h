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
// Rejected with 400, naming the place in `param` (e.g. "messages[2].content[0].type"):
//   an empty list; roles other than system/developer/user/assistant (tool and function need tool
//   calling, which odma lacks); content parts other than text (image_url, input_audio, file,
//   refusal); an assistant message with tool_calls; strings that are not well-formed UTF-8.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/openai_error.h"

namespace odma::server {

struct ChatMessage {
  std::string role;     // "system", "user" or "assistant"
  std::string content;  // the text parts, joined

  bool operator==(const ChatMessage&) const = default;
};

// Parses the value of the request's "messages" field; nullptr = absent or null (→ 400).
[[nodiscard]] std::variant<std::vector<ChatMessage>, ApiError> parse_chat_messages(
    const nlohmann::json* messages);

}  // namespace odma::server
