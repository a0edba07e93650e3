// Log-probabilities in OpenAI's response shapes (platform.openai.com/docs/api-reference), from the
// engine's entries (model/logprobs.h):
//
//   chat          "logprobs": {"content": [{"token": "Hel", "logprob": -0.31, "bytes": [72, 101,
//   108],
//                                           "top_logprobs": [{"token", "logprob", "bytes"}, ...]}]}
//   completions   "logprobs": {"tokens": [...], "token_logprobs": [...],
//                              "top_logprobs": [{"Hel": -0.31, ...}, ...], "text_offset": [...]}
//
// A token's text is its bytes as the decoder emits them mid-output (with the leading space of a
// word-initial token; a token that ends inside a UTF-8 character shows U+FFFD there, `bytes` has
// the raw bytes); an id the tokenizer lacks (a padding row of the embedding) is "" with no bytes.
// text_offset counts bytes of the tokens' texts before each token, from `offset` on (a stream keeps
// counting across its chunks): the offset into the completion text wherever the tokens are whole
// characters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include <nlohmann/json.hpp>

#include "model/logprobs.h"
#include "tokenizer/tokenizer.h"

namespace odma::server {

[[nodiscard]] nlohmann::json chat_logprobs(const tokenizer::Tokenizer& tokenizer,
                                           std::span<const model::LogprobEntry> entries);

// Advances `offset` past the entries' tokens.
[[nodiscard]] nlohmann::json completion_logprobs(const tokenizer::Tokenizer& tokenizer,
                                                 std::span<const model::LogprobEntry> entries,
                                                 std::size_t& offset);

// echo: the prompt's tokens in the same shape, each scored by its entry (an empty entry — the
// first token's — is null in token_logprobs and top_logprobs, as OpenAI and vLLM give it), then
// the completion's entries; offsets from 0.
[[nodiscard]] nlohmann::json echo_logprobs(
    const tokenizer::Tokenizer& tokenizer, std::span<const std::int32_t> prompt,
    std::span<const std::optional<model::LogprobEntry>> prompt_entries,
    std::span<const model::LogprobEntry> completion);

// vLLM's prompt_logprobs: one entry per prompt token, the first null, each else an object keyed by
// token id (as a string) of {"logprob", "rank", "decoded_token"} for the prompt token and its
// `entries[i].top` alternatives (vLLM's dict[int, Logprob]; the alternatives' ranks are 1..k).
[[nodiscard]] nlohmann::json vllm_prompt_logprobs(
    const tokenizer::Tokenizer& tokenizer, std::span<const std::int32_t> prompt,
    std::span<const std::optional<model::LogprobEntry>> entries);

}  // namespace odma::server
