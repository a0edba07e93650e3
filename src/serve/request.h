// What a client asks of the engine and what it gets back.
//
//   prompt ids → submit(RequestParams) → id → step() ... → RequestOutput (tokens, text, timings)
//
// A request ends for one FinishReason. Timings are seconds on the engine's steady clock, measured
// from the request's arrival (its submit() call unless the caller gives an earlier arrival time):
//   TTFT  = first_token_s
//   TPOT  = (last_token_s − first_token_s) ÷ (output_tokens − 1)        (vLLM's definition)
//   ITL   = the gaps between consecutive token_s entries
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "grammar/grammar.h"
#include "kv/types.h"
#include "model/logprobs.h"
#include "model/sampling.h"

namespace odma::serve {

using RequestId = kv::RequestId;

struct RequestParams {
  // temperature, top_k, top_p, seed, ignore_eos and max_tokens (the generation cap: the policy's
  // max_output_tokens, so `static` reserves prompt + max_tokens).
  model::SamplingParams sampling;
  std::vector<std::string>
      stop;  // stop strings, matched on the detokenized output (needs a tokenizer)
  // The length predictor's answer; nullopt = ask the engine's predictor (EngineConfig::predictor),
  // or, without one, reserve for max_tokens (uncertainty 1).
  std::optional<kv::LengthPrediction> prediction;
  // The prompt as text, for the engine's predictor; empty = detokenize the prompt ids (when the
  // engine has a tokenizer).
  std::string prompt_text;
  // Benchmarks replaying a trace: stop after exactly this many tokens, as if EOS had been sampled
  // there (a random model never says EOS at the trace's length). 0 = off.
  std::int32_t forced_output_tokens = 0;
  // Log-probabilities of each generated token and of its `logprobs` most likely alternatives
  // (0..model::kMaxTopLogprobs; model/logprobs.h says how); −1 = none (no cost).
  std::int32_t logprobs = -1;
  // The same for every prompt token after the first (scoring a text: OpenAI's echo with logprobs,
  // vLLM's prompt_logprobs); −1 = none. Such a request neither reads nor leaves prefix-cache
  // entries: every prompt position must be computed for its logits.
  std::int32_t prompt_logprobs = -1;
  // Structured output: every sampled token keeps the output inside this grammar (grammar/*.h), and
  // EOS is sampled only where the grammar may end; null = free text. Needs the engine's tokenizer
  // (a token's bytes decide it) and a model with an EOS id; not with ignore_eos. The reported
  // log-probabilities stay the model's own (before the mask), as vLLM's default raw_logprobs.
  grammar::GrammarPtr grammar;
};

enum class FinishReason : std::uint8_t {
  kNone,        // still running (or waiting)
  kEos,         // sampled an EOS id (ignore_eos off)
  kLength,      // reached max_tokens
  kStopString,  // the output text contains a stop string
  kForced,      // reached forced_output_tokens
  kCancelled,   // cancel(): the client went away
  kFailed,      // the KV policy could not serve it (never fits); see RequestOutput::error
  kError,       // its own processing failed (sampling, detokenization, stop strings, a throw in its
                // post-processing); the others went on. See RequestOutput::error
};

std::string_view to_string(FinishReason r);

struct RequestOutput {
  RequestId id = 0;
  std::int32_t prompt_tokens = 0;
  std::vector<std::int32_t> output_ids;  // every sampled id, including a final EOS
  std::string text;                      // detokenized output, cut before a matched stop string
  FinishReason finish = FinishReason::kNone;
  std::string error;            // why it failed (kFailed, kError)
  double arrival_s = 0.0;       // engine clock at arrival
  double admitted_s = -1.0;     // since arrival: first admission (the queue time); −1 before
  double first_token_s = -1.0;  // since arrival; −1 before the first token
  std::vector<double> token_s;  // since arrival, one per output id
  std::int32_t predicted_output_tokens = -1;  // what the KV policy reserved for (−1: none)
  std::int32_t preemptions = 0;               // times this request was preempted and recomputed
  std::int32_t cached_tokens = 0;  // prompt tokens read from the prefix cache at first admission
  std::int64_t kv_held_slots = 0;  // KV slots it held when it completed (its reservation)
  std::vector<model::LogprobEntry> logprobs;  // one per output id when asked (RequestParams)
  // One per prompt token when asked; the first is empty (nothing predicts it).
  std::vector<std::optional<model::LogprobEntry>> prompt_logprobs;

  bool finished() const { return finish != FinishReason::kNone; }
  double latency_s() const { return token_s.empty() ? 0.0 : token_s.back(); }
  // (latency − TTFT) ÷ (output − 1); 0 with fewer than two tokens.
  double tpot_s() const {
    return token_s.size() < 2
               ? 0.0
               : (token_s.back() - token_s.front()) / static_cast<double>(token_s.size() - 1);
  }
};

}  // namespace odma::serve
