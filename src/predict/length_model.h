// The output-length model: a softmax over length bins on hashed sparse prompt features.
//
//   bins        edges e_0 = 0 < e_1 < ... < e_B = max_length; bin b holds the integer lengths
//               e_b + 1 .. e_{b+1} (lengths < 1 count as 1, lengths > max_length as max_length).
//               Log-spaced, so relative resolution is the same for short and long answers.
//   weights     W[row][b], rows = 2^hash_bits; logit_b = Σ_f value_f · W[row_f][b].
//   Distribution  p_b = softmax(logit)_b, uniform over the integers of a bin. From it: quantile at
//               coverage q, mean, and the mass of any bucketing given by inclusive upper bounds
//               (the S3 buckets, odma's adaptive buckets) — the "bucket marginal".
//   uncertainty (ln q95 − ln q50) / ln max_length ∈ [0, 1]: 0 when the 50% and 95% points agree.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kv/types.h"
#include "predict/features.h"

namespace odma::predict {

// Geometric edges from 1 to max_length with `bins` bins, forced strictly increasing (so the first
// bins are one token wide). Throws odma::Error if bins < 1 or max_length < bins.
std::vector<std::int32_t> log_spaced_edges(std::int32_t max_length, std::int32_t bins);

// Index of the bin holding `length` (clamped into [1, max_length]).
std::int32_t bin_of(const std::vector<std::int32_t>& edges, std::int32_t length);

class Distribution {
 public:
  Distribution() = default;
  Distribution(std::shared_ptr<const std::vector<std::int32_t>> edges, std::vector<float> prob)
      : edges_(std::move(edges)), prob_(std::move(prob)) {}

  const std::vector<float>& prob() const { return prob_; }
  const std::vector<std::int32_t>& edges() const { return *edges_; }

  // Smallest integer length L with P(length <= L) >= q (q in (0, 1]).
  std::int32_t quantile(double q) const;
  double mean() const;
  std::int32_t median() const { return quantile(0.5); }
  double uncertainty() const;

  // Mass per bucket, bucket k holding lengths (upper[k-1], upper[k]] (upper[-1] = 0); lengths past
  // the last upper bound count in the last bucket.
  std::vector<double> bucket_mass(const std::vector<std::int32_t>& upper) const;
  // argmax of bucket_mass (the first on ties).
  std::int32_t bucket_mode(const std::vector<std::int32_t>& upper) const;

  kv::LengthPrediction to_prediction(double coverage) const;

 private:
  std::shared_ptr<const std::vector<std::int32_t>> edges_;  // shared with the model
  std::vector<float> prob_;
};

struct ModelConfig {
  FeatureConfig features;
  std::vector<std::int32_t> edges;  // bin edges (see top)
  std::int32_t bins() const { return static_cast<std::int32_t>(edges.size()) - 1; }
  std::int32_t max_length() const { return edges.back(); }
};

class LengthModel {
 public:
  LengthModel() = default;
  // Zero weights (uniform prediction). Throws odma::Error on invalid edges or hash_bits.
  explicit LengthModel(ModelConfig config);

  const ModelConfig& config() const { return config_; }
  const FeatureExtractor& extractor() const { return extractor_; }
  std::int32_t bins() const { return config_.bins(); }

  // logits → probabilities for already-extracted features.
  Distribution predict(const SparseFeatures& f) const;
  Distribution predict(const PromptInfo& prompt) const;
  // Writes the softmax of the logits into `prob` (size bins()).
  void probabilities(const SparseFeatures& f, float* prob) const;

  float* row(std::uint32_t r) { return weights_.data() + static_cast<std::size_t>(r) * bins(); }
  const float* row(std::uint32_t r) const {
    return weights_.data() + static_cast<std::size_t>(r) * bins();
  }
  std::vector<float>& weights() { return weights_; }
  const std::vector<float>& weights() const { return weights_; }

 private:
  ModelConfig config_;
  std::shared_ptr<const std::vector<std::int32_t>>
      edges_;  // = config_.edges, shared with Distributions
  FeatureExtractor extractor_;
  std::vector<float> weights_;  // rows × bins, row-major
};

}  // namespace odma::predict
