// Online update of a trained length model from completed requests, so predictions track drift.
//
// observe(prompt, actual) takes one SGD step of the softmax-regression loss on (prompt,
// bin(actual)) with two rates (docs/predictor.md, "Online rates"):
//   prior_rate    on the bias row, which every prompt shares: the bin prior (the marginal length
//                 distribution). Every completion is evidence about it, so it may step further.
//   feature_rate  on the prompt's own feature rows (bias excluded): what was learnt for prompts
//                 like this one. A completion is one noisy draw from a wide per-prompt
//                 distribution, so each step must be small — but the rows that nearly every prompt
//                 has (sizes, has-input, cue groups) also see every completion, so in sum they
//                 carry most of the adaptation to a drift (measured: the prior's rate alone
//                 barely matters).
// Both steps may be scaled by `boost`: raised for a while after a detected drift (drift_boost.h).
//
// Not thread-safe: the caller serialises observe() against predict() (the scheduler owns one
// thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "predict/length_model.h"

namespace odma::predict {

struct OnlineConfig {
  // Defaults chosen on the documented drift and on Alpaca / NQ (docs/predictor.md, "Online rates").
  float feature_rate = 0.05f;  // SGD step on the prompt's feature rows
  float prior_rate = 0.1f;     // SGD step on the bias row (the bin prior)
  // After a detected drift (Predictor::notify_drift) the prior's step is multiplied by
  // drift_boost, decaying linearly back to ×1 over drift_window completions (1 = no reaction).
  float drift_boost = 4.0f;
  std::int32_t drift_window = 500;

  // Throws odma::Error naming the field: rates negative or not finite, boost < 1, window < 1.
  void validate() const;
  std::string to_string() const;  // "feature 0.05, prior 0.1, drift boost ×4 over 500"
};

// The command-line form shared by every command that learns online:
//   --online-rates FEATURE,PRIOR    (default 0.05,0.1)
//   --drift-boost BOOST[,WINDOW] | off  (default 4,500)
// nullopt leaves the default. Throws odma::Error quoting the flag on a bad value.
OnlineConfig parse_online_config(const std::optional<std::string>& rates,
                                 const std::optional<std::string>& drift_boost);

class OnlineUpdater {
 public:
  // Throws odma::Error on an invalid config (OnlineConfig::validate).
  explicit OnlineUpdater(LengthModel& model, OnlineConfig config = {});

  void observe(const PromptInfo& prompt, std::int32_t actual_output_tokens, float boost = 1.0f);
  std::int64_t observations() const { return observations_; }

 private:
  LengthModel& model_;
  OnlineConfig config_;
  SparseFeatures features_;
  std::vector<float> prob_;
  std::int64_t observations_ = 0;
};

}  // namespace odma::predict
