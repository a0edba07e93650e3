// Log-probabilities of generated tokens (OpenAI's `logprobs` / `top_logprobs`).
//
// Computed as vLLM computes them by default (`--logprobs-mode raw_logprobs`): the log-softmax of
// the model's raw logits, before temperature, top-k/top-p and penalties, in F32 with the maximum
// subtracted and the normaliser summed in double. `top` holds the `k` most likely ids, most likely
// first (lowest id first on ties), k ≤ vocab. Cost: three passes over the vocabulary, only for
// requests that ask.
#pragma once

#include <cstdint>
#include <vector>

namespace odma::model {

struct TokenLogprob {
  std::int32_t id = 0;
  float logprob = 0.0f;
  friend bool operator==(const TokenLogprob&, const TokenLogprob&) = default;
};

struct LogprobEntry {
  TokenLogprob chosen;            // the token that was sampled
  std::vector<TokenLogprob> top;  // the k most likely
  std::int32_t rank = 1;  // of `chosen`: 1 + the ids with a larger logit (vLLM's Logprob.rank)
};

inline constexpr int kMaxTopLogprobs = 20;  // OpenAI's and vLLM's default bound

// Precondition: 0 <= chosen < vocab, 0 <= k <= vocab.
LogprobEntry token_logprobs(const float* logits, int vocab, std::int32_t chosen, int k);

}  // namespace odma::model
