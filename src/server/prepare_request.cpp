#include "server/prepare_request.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>

#include "server/structured_output.h"
#include "server/tool_call_grammar.h"

namespace odma::server {
namespace {

// A seed for requests that give none, different for each (the engine's default would give every
// unseeded request the same random stream).
std::uint64_t fresh_seed() {
  static std::atomic<std::uint64_t> counter{
      static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())};
  std::uint64_t x = counter.fetch_add(0x9E3779B97F4A7C15ull);
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  return x ^ (x >> 27);
}

// What the length predictor reads: the last user turn of a chat (the instruction, as the predictor
// was trained on), or the completion prompt's text.
std::string predictor_text(const GenerationRequest& g) {
  for (auto it = g.messages.rbegin(); it != g.messages.rend(); ++it)
    if (it->role == "user") return it->content;
  return g.prompt_text.value_or("");
}

// How the output's tool calls are read and, for "required" or a named function, the grammar that
// makes the output a call; a 400 when the model has no known tool-call syntax.
std::optional<ApiError> plan_tool_calls(const ServedModel& m, const GenerationRequest& g,
                                        PreparedRequest& p) {
  using Choice = ToolChoice::Mode;
  if (g.tool_choice.mode == Choice::kNone)
    return std::nullopt;  // tools shown, calls not parsed (vLLM)
  if (!m.tool_call_format) {
    return bad_request("model '" + m.name +
                           "' has no tool-call syntax odma knows (its chat template names none): "
                           "start the server with --tool-call-parser hermes | llama3_json | "
                           "deepseek_v3, or send tool_choice \"none\"",
                       "tools");
  }
  p.tool_calls = m.tool_call_format;
  if (g.tool_choice.mode == Choice::kAuto) return std::nullopt;
  if (g.grammar) {
    return bad_request(
        "a structured output cannot be combined with tool_choice \"required\" or a "
        "named function, whose output is a tool call",
        "tool_choice");
  }
  const std::optional<std::string> only = g.tool_choice.mode == Choice::kFunction
                                              ? std::optional(g.tool_choice.function)
                                              : std::nullopt;
  const std::string key = "tools:" + std::string(tool_call_parser_name(*p.tool_calls)) + ":" +
                          only.value_or("") + ":" + (g.parallel_tool_calls ? "n" : "1") + ":" +
                          g.tools.dump();
  try {
    p.params.grammar = cached_grammar(key, [&] {
      return tool_call_grammar(*p.tool_calls, g.tools_in_order, only, g.parallel_tool_calls);
    });
  } catch (const grammar::GrammarError& e) {
    return bad_request(
        "`tools`: " + std::string(e.what()) + (e.path().empty() ? "" : " (at " + e.path() + ")"),
        "tools");
  }
  return std::nullopt;
}

}  // namespace

std::variant<PreparedRequest, ApiError> prepare_request(const ServedModel& m,
                                                        const GenerationRequest& g) {
  PreparedRequest p;
  const bool chat = g.kind == GenerationRequest::Kind::kChat;
  if (chat) {
    auto text = m.render_chat(g.messages, /*add_generation_prompt=*/true, g.tools_in_order);
    if (auto* e = std::get_if<ApiError>(&text)) return *e;
    p.prompt = m.tokenizer.encode(std::get<std::string>(text), /*add_special_tokens=*/false);
  } else if (g.prompt_ids) {
    p.prompt = *g.prompt_ids;
  } else {
    p.prompt = m.tokenizer.encode(g.prompt_text.value_or(""), /*add_special_tokens=*/true);
  }
  const char* param = chat ? "messages" : "prompt";
  if (p.prompt.empty()) return bad_request("the prompt is empty (no tokens to start from)", param);
  const auto n = static_cast<std::int64_t>(p.prompt.size());
  const std::int64_t room = m.max_model_len - n;
  if (g.max_tokens && n + *g.max_tokens > m.max_model_len)
    return context_length_exceeded(n, *g.max_tokens, m.max_model_len, param);
  if (room < 1) return context_length_exceeded(n, 1, m.max_model_len, param);

  serve::RequestParams& r = p.params;
  r.sampling.max_tokens = static_cast<int>(g.max_tokens ? *g.max_tokens : room);
  r.sampling.temperature = g.temperature;
  r.sampling.top_p = g.top_p;
  r.sampling.top_k = g.top_k;
  r.sampling.seed = g.seed.value_or(fresh_seed());
  r.sampling.presence_penalty = g.presence_penalty;
  r.sampling.frequency_penalty = g.frequency_penalty;
  r.sampling.ignore_eos = g.ignore_eos;
  r.stop = g.stop;
  r.prompt_text = predictor_text(g);
  r.logprobs = g.logprobs.value_or(-1);
  r.grammar = g.grammar;
  if (chat) {
    if (auto e = plan_tool_calls(m, g, p)) return *e;
  }
  if (g.prompt_logprobs) {
    p.echo_ids = p.prompt;
    r.prompt_logprobs = *g.prompt_logprobs;
  }
  if (g.echo) {
    p.echo_ids = p.prompt;
    p.echo_text = g.prompt_text ? *g.prompt_text : m.tokenizer.decode(p.prompt);
    if (g.logprobs) r.prompt_logprobs = std::max(r.prompt_logprobs, *g.logprobs);
    if (g.max_tokens && *g.max_tokens == 0) {
      p.discard_output = true;
      r.sampling.max_tokens = 1;
    }
  }
  return p;
}

}  // namespace odma::server
