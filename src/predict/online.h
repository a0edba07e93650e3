// Online update of a trained length model from completed requests, so predictions track drift.
//
// observe(prompt, actual) takes one SGD step of the softmax-regression loss on (prompt,
// bin(actual)) over the prompt's feature rows, and an extra step of `prior_rate` on the bias row
// alone. The bias row is shared by every request, so that extra step recalibrates the bin prior
// (the marginal length distribution) within a few hundred completions when traffic shifts, while
// the per-feature step corrects what was learned for similar prompts.
//
// Not thread-safe: the caller serialises observe() against predict() (the scheduler owns one
// thread).
#pragma once

#include <cstdint>

#include "predict/length_model.h"

namespace odma::predict {

struct OnlineConfig {
  float learning_rate = 0.05f;  // SGD step on the prompt's features
  float prior_rate = 0.05f;     // additional step on the bias row (bin prior)
};

class OnlineUpdater {
 public:
  // Throws odma::Error if a rate is negative or not finite.
  explicit OnlineUpdater(LengthModel& model, OnlineConfig config = {});

  void observe(const PromptInfo& prompt, std::int32_t actual_output_tokens);
  std::int64_t observations() const { return observations_; }

 private:
  LengthModel& model_;
  OnlineConfig config_;
  SparseFeatures features_;
  std::vector<float> prob_;
  std::int64_t observations_ = 0;
};

}  // namespace odma::predict
