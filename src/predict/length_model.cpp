#include "predict/length_model.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"

namespace odma::predict {

std::vector<std::int32_t> log_spaced_edges(std::int32_t max_length, std::int32_t bins) {
  if (bins < 1 || max_length < bins)
    throw Error("length bins: need 1 <= bins <= max_length (got bins=" + std::to_string(bins) +
                ", max_length=" + std::to_string(max_length) + ")");
  std::vector<std::int32_t> edges(static_cast<std::size_t>(bins) + 1, 0);
  for (std::int32_t k = 1; k <= bins; ++k) {
    auto geometric = static_cast<std::int32_t>(
        std::lround(std::pow(static_cast<double>(max_length), static_cast<double>(k) / bins)));
    std::int32_t e = std::max(edges[k - 1] + 1, geometric);
    edges[k] = std::min(e, max_length - (bins - k));  // leave room for the remaining bins
  }
  return edges;
}

std::int32_t bin_of(const std::vector<std::int32_t>& edges, std::int32_t length) {
  length = std::clamp(length, 1, edges.back());
  auto it = std::lower_bound(edges.begin() + 1, edges.end(), length);
  return static_cast<std::int32_t>(it - edges.begin()) - 1;
}

std::int32_t Distribution::quantile(double q) const {
  // One implementation of the piecewise-uniform quantile, the KV layer's (odma conditions it on
  // the tokens already generated).
  return kv::LengthDistribution{edges_, prob_}.quantile_after(0, q).value_or(edges_->back());
}

double Distribution::mean() const {
  const auto& e = *edges_;
  double m = 0.0;
  for (std::size_t b = 0; b < prob_.size(); ++b) m += prob_[b] * 0.5 * (e[b] + 1 + e[b + 1]);
  return m;
}

double Distribution::uncertainty() const {
  double spread = std::log(quantile(0.95)) - std::log(quantile(0.5));
  return std::clamp(spread / std::log(std::max(2, edges_->back())), 0.0, 1.0);
}

std::vector<double> Distribution::bucket_mass(const std::vector<std::int32_t>& upper) const {
  const auto& e = *edges_;
  std::vector<double> mass(upper.size(), 0.0);
  if (upper.empty()) return mass;
  const std::size_t last = upper.size() - 1;
  std::size_t k = 0;
  for (std::size_t b = 0; b < prob_.size(); ++b) {
    std::int32_t cur = e[b] + 1;
    const std::int32_t hi = e[b + 1];
    const double per_length = prob_[b] / (hi - e[b]);
    while (cur <= hi) {
      while (k < last && upper[k] < cur) ++k;
      std::int32_t end = k == last ? hi : std::min(hi, upper[k]);
      mass[k] += per_length * (end - cur + 1);
      cur = end + 1;
    }
  }
  return mass;
}

std::int32_t Distribution::bucket_mode(const std::vector<std::int32_t>& upper) const {
  std::vector<double> m = bucket_mass(upper);
  return static_cast<std::int32_t>(std::max_element(m.begin(), m.end()) - m.begin());
}

kv::LengthPrediction Distribution::to_prediction(double coverage) const {
  kv::LengthPrediction p;
  p.output_tokens = quantile(coverage);
  p.uncertainty = uncertainty();
  p.distribution =
      std::make_shared<const kv::LengthDistribution>(kv::LengthDistribution{edges_, prob_});
  p.coverage = coverage;
  return p;
}

LengthModel::LengthModel(ModelConfig config)
    : config_(std::move(config)), extractor_(config_.features) {
  const auto& e = config_.edges;
  if (e.size() < 2 || e.front() != 0)
    throw Error("length model: bin edges must start at 0 and hold at least one bin");
  for (std::size_t i = 1; i < e.size(); ++i)
    if (e[i] <= e[i - 1]) throw Error("length model: bin edges must be strictly increasing");
  if (config_.features.hash_bits < 4 || config_.features.hash_bits > 24)
    throw Error("length model: hash_bits must be in [4, 24] (got " +
                std::to_string(config_.features.hash_bits) + ")");
  edges_ = std::make_shared<const std::vector<std::int32_t>>(e);
  weights_.assign(static_cast<std::size_t>(config_.features.rows()) * bins(), 0.0f);
}

void LengthModel::probabilities(const SparseFeatures& f, float* prob) const {
  const std::int32_t nb = bins();
  std::fill(prob, prob + nb, 0.0f);
  for (std::size_t i = 0; i < f.size(); ++i) {
    const float* w = row(f.rows[i]);
    const float v = f.values[i];
    for (std::int32_t b = 0; b < nb; ++b) prob[b] += v * w[b];
  }
  float top = *std::max_element(prob, prob + nb);
  float sum = 0.0f;
  for (std::int32_t b = 0; b < nb; ++b) {
    prob[b] = std::exp(prob[b] - top);
    sum += prob[b];
  }
  for (std::int32_t b = 0; b < nb; ++b) prob[b] /= sum;
}

Distribution LengthModel::predict(const SparseFeatures& f) const {
  std::vector<float> prob(static_cast<std::size_t>(bins()));
  probabilities(f, prob.data());
  return Distribution(edges_, std::move(prob));
}

Distribution LengthModel::predict(const PromptInfo& prompt) const {
  thread_local SparseFeatures f;
  extractor_.extract(prompt, f);
  return predict(f);
}

}  // namespace odma::predict
