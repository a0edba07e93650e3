#include "predict/online.h"

#include <cmath>

#include "base/error.h"

namespace odma::predict {

OnlineUpdater::OnlineUpdater(LengthModel& model, OnlineConfig config)
    : model_(model), config_(config) {
  if (!(config.learning_rate >= 0 && std::isfinite(config.learning_rate)) ||
      !(config.prior_rate >= 0 && std::isfinite(config.prior_rate)))
    throw Error("online predictor update: rates must be finite and >= 0");
  prob_.resize(static_cast<std::size_t>(model.bins()));
}

void OnlineUpdater::observe(const PromptInfo& prompt, std::int32_t actual_output_tokens) {
  model_.extractor().extract(prompt, features_);
  model_.probabilities(features_, prob_.data());
  const std::int32_t truth = bin_of(model_.config().edges, actual_output_tokens);
  const std::int32_t nb = model_.bins();
  prob_[static_cast<std::size_t>(truth)] -= 1.0f;  // δ = p − y
  for (std::size_t k = 0; k < features_.size(); ++k) {
    float* w = model_.row(features_.rows[k]);
    const float step = config_.learning_rate * features_.values[k];
    for (std::int32_t b = 0; b < nb; ++b) w[b] -= step * prob_[static_cast<std::size_t>(b)];
  }
  float* bias = model_.row(0);
  for (std::int32_t b = 0; b < nb; ++b)
    bias[b] -= config_.prior_rate * prob_[static_cast<std::size_t>(b)];
  ++observations_;
}

}  // namespace odma::predict
