#include "server/served_model.h"

#include "base/error.h"

namespace odma::server {

std::variant<std::string, ApiError> ServedModel::render_chat(
    const std::vector<ChatMessage>& messages, bool add_generation_prompt,
    const nlohmann::ordered_json& tools) const {
  if (!chat_template) {
    return bad_request("model '" + name +
                           "' has no chat template (its tokenizer_config.json has no "
                           "chat_template; start the server with --chat-template FILE, or use "
                           "/v1/completions)",
                       "messages");
  }
  std::vector<tokenizer::ChatMessage> turns;
  turns.reserve(messages.size());
  for (const ChatMessage& m : messages) turns.push_back({m.role, m.content});
  try {
    if (tools.empty() && !uses_tools(messages))
      return chat_template->render(turns, add_generation_prompt);
    // Tool turns need the whole message objects, which replace the plain list.
    nlohmann::ordered_json extra = {{"messages", template_messages(messages)}};
    if (!tools.empty()) extra["tools"] = tools;
    return chat_template->render(turns, add_generation_prompt, extra);
  } catch (const Error& e) {
    // The template's own raise_exception (e.g. "roles must alternate") is the client's error.
    return bad_request(std::string("chat template: ") + e.what(), "messages");
  }
}

}  // namespace odma::server
