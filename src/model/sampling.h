// Choosing the next token from logits: greedy (temperature 0) or seeded sampling with temperature,
// top-k and top-p (nucleus). Stop conditions: the caller stops on is_stop() (EOS ids unless
// ignore_eos), on max_tokens, and on stop strings (text-level, so they live with the tokenizer).
//
// Penalties (OpenAI's definition, applied first, to every token the request has generated so far —
// its output, as vLLM counts them):  logit[t] −= frequency_penalty · c[t] + presence_penalty ·
// [c[t] > 0] where c[t] is how often t was sampled; greedy decoding sees them too. Sampling order
// (as in vLLM/HF): logits / T → keep the top_k largest → softmax → keep the smallest prefix (by
// probability) whose mass reaches top_p → renormalise → draw with the request's RNG. Ties are
// broken towards the lower token id, so greedy is deterministic. The draw inverts the cumulative
// mass in id order (in probability order after top-k or top-p, which sort what they keep), so
// plain temperature sampling costs O(V) and sorts nothing; −∞ logits (a grammar's mask) are never
// candidates.
#pragma once

#include <cstdint>
#include <random>
#include <unordered_map>
#include <vector>

namespace odma::model {

struct SamplingParams {
  float temperature = 0.0f;  // 0 = greedy
  int top_k = 0;             // 0 = all tokens
  float top_p = 1.0f;        // (0, 1]
  std::uint64_t seed = 0;
  float presence_penalty = 0.0f;   // [-2, 2]
  float frequency_penalty = 0.0f;  // [-2, 2]
  bool ignore_eos = false;         // keep generating past EOS (benchmarks with fixed lengths)
  int max_tokens = 256;            // generation cap (the caller enforces it)

  // Throws odma::Error naming the field if out of range.
  void validate() const;
};

// Index of the largest logit (lowest index on ties).
std::int32_t argmax(const float* logits, int n);

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params);
  std::int32_t sample(const float* logits, int vocab);

 private:
  std::int32_t pick(const float* logits, int vocab);
  bool penalized() const {
    return params_.presence_penalty != 0.0f || params_.frequency_penalty != 0.0f;
  }

  SamplingParams params_;
  std::mt19937_64 rng_;
  std::vector<std::pair<float, std::int32_t>> candidates_;  // reused buffer
  std::unordered_map<std::int32_t, std::int32_t> counts_;   // sampled tokens (with penalties)
  std::vector<float> penalized_;                            // reused buffer
};

// True if generation should stop after `token`.
bool is_stop(std::int32_t token, const std::vector<std::int32_t>& eos_ids, bool ignore_eos);

}  // namespace odma::model
