#include "server/openai_logprobs.h"

#include <string>

#include "tokenizer/decoder.h"
#include "tokenizer/utf8.h"

namespace odma::server {
namespace {

struct TokenText {
  std::string text;   // UTF-8 (lossy)
  std::string bytes;  // raw
};

TokenText token_text(const tokenizer::Tokenizer& t, std::int32_t id) {
  const tokenizer::DecodePlan& plan = t.decode_plan();
  const auto i = static_cast<std::size_t>(id);
  if (id < 0 || i >= plan.known.size() || !plan.known[i]) return {};
  // The token's own bytes, with the space a word-initial token carries (decoding the token alone
  // would strip it as the start of an output), made valid UTF-8 as a decoder would.
  tokenizer::Utf8Assembler utf8;
  std::string text;
  utf8.push(plan.bytes[i], text);
  utf8.finish(text);
  return {std::move(text), plan.bytes[i]};
}

nlohmann::json bytes_of(const std::string& b) {
  nlohmann::json out = nlohmann::json::array();
  for (const char c : b) out.push_back(static_cast<unsigned char>(c));
  return out;
}

nlohmann::json chat_token(const tokenizer::Tokenizer& t, const model::TokenLogprob& lp) {
  const TokenText tt = token_text(t, lp.id);
  return {{"token", tt.text}, {"logprob", lp.logprob}, {"bytes", bytes_of(tt.bytes)}};
}

// The four parallel arrays of a completions "logprobs" object, filled token by token.
struct CompletionArrays {
  nlohmann::json tokens = nlohmann::json::array(), token_logprobs = nlohmann::json::array(),
                 top_logprobs = nlohmann::json::array(), text_offset = nlohmann::json::array();

  // Token `id` scored by `e` (null: unscored, null in token_logprobs and top_logprobs). The scored
  // token joins its alternatives when any were asked, or always with `always_list_chosen`.
  void add(const tokenizer::Tokenizer& t, std::int32_t id, const model::LogprobEntry* e,
           bool always_list_chosen, std::size_t& offset) {
    const TokenText tt = token_text(t, id);
    tokens.push_back(tt.text);
    text_offset.push_back(offset);
    offset += tt.text.size();
    if (e == nullptr) {
      token_logprobs.push_back(nullptr);
      top_logprobs.push_back(nullptr);
      return;
    }
    token_logprobs.push_back(e->chosen.logprob);
    nlohmann::json top = nlohmann::json::object();
    for (const model::TokenLogprob& alt : e->top) top[token_text(t, alt.id).text] = alt.logprob;
    if (always_list_chosen || !e->top.empty()) top[tt.text] = e->chosen.logprob;  // OpenAI: N + 1
    top_logprobs.push_back(std::move(top));
  }

  nlohmann::json object() {
    return {{"tokens", std::move(tokens)},
            {"token_logprobs", std::move(token_logprobs)},
            {"top_logprobs", std::move(top_logprobs)},
            {"text_offset", std::move(text_offset)}};
  }
};

}  // namespace

nlohmann::json chat_logprobs(const tokenizer::Tokenizer& tokenizer,
                             std::span<const model::LogprobEntry> entries) {
  nlohmann::json content = nlohmann::json::array();
  for (const model::LogprobEntry& e : entries) {
    nlohmann::json item = chat_token(tokenizer, e.chosen);
    nlohmann::json top = nlohmann::json::array();
    for (const model::TokenLogprob& t : e.top) top.push_back(chat_token(tokenizer, t));
    item["top_logprobs"] = std::move(top);
    content.push_back(std::move(item));
  }
  return {{"content", std::move(content)}};
}

nlohmann::json completion_logprobs(const tokenizer::Tokenizer& tokenizer,
                                   std::span<const model::LogprobEntry> entries,
                                   std::size_t& offset) {
  CompletionArrays out;
  for (const model::LogprobEntry& e : entries)
    out.add(tokenizer, e.chosen.id, &e, /*always_list_chosen=*/false, offset);
  return out.object();
}

nlohmann::json echo_logprobs(const tokenizer::Tokenizer& tokenizer,
                             std::span<const std::int32_t> prompt,
                             std::span<const std::optional<model::LogprobEntry>> entries,
                             std::span<const model::LogprobEntry> completion_entries) {
  std::size_t offset = 0;
  CompletionArrays out;
  for (std::size_t i = 0; i < prompt.size(); ++i) {
    const bool scored = i < entries.size() && entries[i].has_value();
    // The scored token is listed too (vLLM adds it when it is not among the top).
    out.add(tokenizer, prompt[i], scored ? &*entries[i] : nullptr, /*always_list_chosen=*/true,
            offset);
  }
  for (const model::LogprobEntry& e : completion_entries)
    out.add(tokenizer, e.chosen.id, &e, /*always_list_chosen=*/false, offset);
  return out.object();
}

nlohmann::json vllm_prompt_logprobs(const tokenizer::Tokenizer& tokenizer,
                                    std::span<const std::int32_t> prompt,
                                    std::span<const std::optional<model::LogprobEntry>> entries) {
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < prompt.size(); ++i) {
    if (i >= entries.size() || !entries[i]) {
      out.push_back(nullptr);
      continue;
    }
    const model::LogprobEntry& e = *entries[i];
    nlohmann::json scores = nlohmann::json::object();
    for (std::size_t k = 0; k < e.top.size(); ++k) {
      scores[std::to_string(e.top[k].id)] = {
          {"logprob", e.top[k].logprob},
          {"rank", k + 1},
          {"decoded_token", token_text(tokenizer, e.top[k].id).text}};
    }
    scores[std::to_string(prompt[i])] = {{"logprob", e.chosen.logprob},
                                         {"rank", e.rank},
                                         {"decoded_token", token_text(tokenizer, prompt[i]).text}};
    out.push_back(std::move(scores));
  }
  return out;
}

}  // namespace odma::server
