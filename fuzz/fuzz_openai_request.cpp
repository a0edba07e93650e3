// The server's request path up to the engine's queue (src/server): the first byte picks the
// endpoint (chat, completions, /tokenize, /detokenize), the rest is the HTTP body. A generation
// request is parsed (openai_request.h: every field's type and range), prepared
// (prepare_request.h: chat template, tokenizer, context budget) and checked by
// Engine::validate, exactly as POST /v1/... does before it queues; qwen2-tiny serves, with the
// shipped Qwen2.5 chat template.
//
// Properties: a refusal is an OpenAI error with a 4xx status, a type and a message; an accepted
// request has every field inside its documented range; the steps after parsing never throw
// anything but the odma::Error the engine loop turns into a 400 (a tokenizer exception there
// would be a 500); /tokenize and /detokenize of an accepted body answer.
#include <cmath>

#include "base/file_io.h"
#include "fuzz/fuzz_util.h"
#include "model/transformer.h"
#include "serve/engine.h"
#include "server/prepare_request.h"
#include "server/tokenize_request.h"
#include "tokenizer/utf8.h"

namespace {

namespace sv = odma::server;
using odma::fuzz::check;

struct Served {
  sv::ServedModel model;
  std::unique_ptr<odma::serve::Engine> engine;
};

const Served& served() {
  static const Served s = [] {
    const auto dir = odma::data_dir() / "models" / "qwen2-tiny";
    Served out{
        {"qwen2-tiny", 0, 0, odma::tokenizer::Tokenizer::load(dir), {}, nullptr, std::nullopt},
        nullptr};
    out.model.chat_template = odma::tokenizer::ChatTemplate::from_tokenizer_config(
        odma::read_file(odma::data_file("chat_templates/qwen2_5.json")), "qwen2_5.json");
    // Qwen2.5's template teaches Hermes tool calls: tools, tool turns and required calls run.
    out.model.tool_call_format = sv::detect_tool_call_format(out.model.chat_template->source());
    odma::serve::EngineConfig c;
    c.policy = "odma";
    c.kv.capacity_tokens = 2048;
    c.kv.max_model_len = 256;
    out.engine = std::make_unique<odma::serve::Engine>(
        std::shared_ptr<const odma::model::Transformer>(odma::model::Transformer::load(dir)), c,
        out.model.tokenizer);
    out.model.max_model_len = out.engine->max_model_len();
    return out;
  }();
  return s;
}

void check_refusal(const sv::ApiError& e) {
  check(e.status >= 400 && e.status < 500, "a refusal without a 4xx status", e.message);
  check(!e.message.empty() && !e.type.empty(), "a refusal without a message or type");
}

bool utf8(const std::string& s) {
  return odma::tokenizer::utf8_invalid_offset(s) == s.size();
}

void check_accepted(const sv::GenerationRequest& g) {
  const bool chat = g.kind == sv::GenerationRequest::Kind::kChat;
  if (chat) {
    check(!g.messages.empty(), "chat without messages accepted");
  } else {
    check(g.prompt_text.has_value() != g.prompt_ids.has_value(), "not exactly one prompt form");
  }
  for (const auto& m : g.messages) {
    check(m.role == "system" || m.role == "user" || m.role == "assistant" || m.role == "tool",
          "odd role", m.role);
    check(m.tool_calls.is_null() || m.role == "assistant", "tool_calls outside an assistant turn");
    check(utf8(m.content), "ill-formed UTF-8 in a message accepted");
  }
  if (g.prompt_text) check(utf8(*g.prompt_text), "ill-formed UTF-8 prompt accepted");
  // 0 only to score a prompt (echo), which only completions have.
  check(!g.max_tokens || *g.max_tokens >= (g.echo ? 0 : 1), "max_tokens < 1 accepted");
  check(!g.echo || !chat, "echo accepted on chat");
  check(g.n >= 1 && g.n <= sv::kMaxChoices, "n outside [1, 128] accepted");
  check(!g.logprobs || (*g.logprobs >= 0 && *g.logprobs <= 20), "logprobs outside [0, 20]");
  check(g.temperature >= 0 && g.temperature <= 2, "temperature outside [0, 2] accepted");
  check(g.top_p > 0 && g.top_p <= 1, "top_p outside (0, 1] accepted");
  check(g.top_k >= 0, "top_k < 0 kept");
  check(std::fabs(g.presence_penalty) <= 2 && std::fabs(g.frequency_penalty) <= 2,
        "a penalty outside [-2, 2] accepted");
  for (const auto& s : g.stop) check(!s.empty() && utf8(s), "an empty or ill-formed stop string");
  check(g.stream || !g.include_usage, "stream_options without stream accepted");
  check(!g.grammar || !g.ignore_eos, "a structured output with ignore_eos accepted");
  check(g.tool_choice.mode == sv::ToolChoice::Mode::kNone || !g.tools.empty(),
        "a tool_choice other than none without tools");
}

void generation(std::string_view body, sv::GenerationRequest::Kind kind) {
  const Served& s = served();
  auto parsed = sv::parse_generation_request(body, kind);
  if (auto* e = std::get_if<sv::ApiError>(&parsed)) return check_refusal(*e);
  const sv::GenerationRequest& g = std::get<sv::GenerationRequest>(parsed);
  check_accepted(g);
  auto prepared = sv::prepare_request(s.model, g);  // only odma::Error may escape (the fuzzer)
  if (auto* e = std::get_if<sv::ApiError>(&prepared)) return check_refusal(*e);
  const sv::PreparedRequest& p = std::get<sv::PreparedRequest>(prepared);
  check(!p.prompt.empty(), "empty prompt prepared");
  check(p.params.sampling.max_tokens >= 1, "the engine would get max_tokens < 1");
  check(static_cast<std::int64_t>(p.prompt.size()) + p.params.sampling.max_tokens <=
            s.model.max_model_len,
        "prompt + max_tokens > max_model_len prepared");
  try {
    s.engine->validate(p.prompt, p.params);
  } catch (const odma::Error& e) {
    // The loop answers 400 with this message; only token ids out of the vocabulary (given as
    // ids by the client) are the engine's to find.
    check(g.prompt_ids.has_value(), "the engine rejected what the server prepared", e.what());
  }
}

void tokenize(std::string_view body) {
  const Served& s = served();
  auto parsed = sv::parse_tokenize_request(body);
  if (auto* e = std::get_if<sv::ApiError>(&parsed)) return check_refusal(*e);
  const sv::TokenizeRequest& t = std::get<sv::TokenizeRequest>(parsed);
  if (t.prompt) {
    check(utf8(*t.prompt), "ill-formed UTF-8 prompt accepted by /tokenize");
    (void)s.model.tokenizer.encode(*t.prompt, t.add_special_tokens);
    return;
  }
  auto text = s.model.render_chat(t.messages, t.add_generation_prompt, t.tools);
  if (auto* e = std::get_if<sv::ApiError>(&text)) return check_refusal(*e);
  (void)s.model.tokenizer.encode(std::get<std::string>(text), t.add_special_tokens);
}

void detokenize(std::string_view body) {
  const Served& s = served();
  auto parsed = sv::parse_detokenize_request(body);
  if (auto* e = std::get_if<sv::ApiError>(&parsed)) return check_refusal(*e);
  const sv::DetokenizeRequest& d = std::get<sv::DetokenizeRequest>(parsed);
  for (std::int32_t id : d.tokens)  // the server's own range check (server.cpp) comes first
    if (id < 0 || id >= s.model.tokenizer.vocab_size()) return;
  (void)s.model.tokenizer.decode(d.tokens);
}

}  // namespace

// Loads the model, tokenizer and chat template before fuzzing starts (outside the 1 s per-input
// timeout).
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)served();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view body = odma::fuzz::as_text(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      generation(body, sv::GenerationRequest::Kind::kChat);
      break;
    case 1:
      generation(body, sv::GenerationRequest::Kind::kCompletion);
      break;
    case 2:
      tokenize(body);
      break;
    default:
      detokenize(body);
  }
  return 0;
}
