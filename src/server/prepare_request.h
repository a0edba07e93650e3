// From a parsed generation request to what the engine takes: the prompt's token ids (chat
// messages through the model's chat template, then the tokenizer with no extra special tokens;
// completions: the text with the tokenizer's specials, or the ids as given) and the engine's
// request parameters, with the context budget checked (prompt + max_tokens <= max_model_len, else
// 400 context_length_exceeded naming both numbers; without max_tokens, the rest of the context).
// Pure: the fuzz target fuzz/fuzz_openai_request.cpp runs it on arbitrary bodies.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "serve/request.h"
#include "server/openai_error.h"
#include "server/openai_request.h"
#include "server/served_model.h"
#include "server/tool_calls.h"

namespace odma::server {

struct PreparedRequest {
  std::vector<std::int32_t> prompt;
  serve::RequestParams params;
  // echo: the prompt as the response repeats it (text, and ids for its log-probabilities); the ids
  // also with prompt_logprobs.
  std::string echo_text;
  std::vector<std::int32_t> echo_ids;
  bool discard_output = false;  // max_tokens 0: the engine makes one token nobody sees
  // Chat with tool_choice auto, required or a function: the syntax the output's calls are parsed
  // from (required and named ones also constrain decoding: params.grammar).
  std::optional<ToolCallFormat> tool_calls;
};

[[nodiscard]] std::variant<PreparedRequest, ApiError> prepare_request(const ServedModel& m,
                                                                      const GenerationRequest& g);

}  // namespace odma::server
