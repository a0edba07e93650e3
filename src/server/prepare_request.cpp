#include "server/prepare_request.h"

#include <atomic>
#include <chrono>
#include <string>

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

}  // namespace

std::variant<PreparedRequest, ApiError> prepare_request(const ServedModel& m,
                                                        const GenerationRequest& g) {
  PreparedRequest p;
  const bool chat = g.kind == GenerationRequest::Kind::kChat;
  if (chat) {
    auto text = m.render_chat(g.messages);
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
  if (g.echo) {
    p.echo_ids = p.prompt;
    p.echo_text = g.prompt_text ? *g.prompt_text : m.tokenizer.decode(p.prompt);
    if (g.logprobs) r.prompt_logprobs = *g.logprobs;
    if (g.max_tokens && *g.max_tokens == 0) {
      p.discard_output = true;
      r.sampling.max_tokens = 1;
    }
  }
  return p;
}

}  // namespace odma::server
