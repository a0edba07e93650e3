// What every HTTP handler reads about the model being served, fixed once it is loaded: its name,
// context length, tokenizer, chat template, and the engine loop that runs it. Const after load,
// so HTTP threads share it without locks (the tokenizer's caches are per thread).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/engine_loop.h"
#include "server/openai_error.h"
#include "server/openai_messages.h"
#include "server/tool_calls.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace odma::server {

struct ServedModel {
  std::string name;  // --served-model-name (the model directory's name by default)
  std::int32_t max_model_len = 0;
  std::int64_t created = 0;  // unix seconds, for /v1/models
  tokenizer::Tokenizer tokenizer;
  // With tokenizer_config.json's special tokens (bos_token, eos_token, ...); none: chat is a 400.
  std::optional<tokenizer::ChatTemplate> chat_template;
  std::unique_ptr<EngineLoop> loop;
  // How the model writes tool calls (--tool-call-parser, else what the template teaches); none:
  // requests with tools are a 400.
  std::optional<ToolCallFormat> tool_call_format;

  // The chat prompt as text (the template with add_generation_prompt, and `tools` when given: the
  // request's array, as vLLM passes it) — or why not.
  [[nodiscard]] std::variant<std::string, ApiError> render_chat(
      const std::vector<ChatMessage>& messages, bool add_generation_prompt = true,
      const nlohmann::ordered_json& tools = nlohmann::ordered_json::array()) const;
};

}  // namespace odma::server
