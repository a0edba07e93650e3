// Adaptive output-length buckets (ODMA): size classes recalibrated from an online histogram of
// completed lengths so that they follow distribution drift.
//
// Contract used by the odma policy (implementation: adaptive_buckets.cpp, histogram in
// length_histogram.h):
//   * edges() is strictly increasing, each a multiple of the granule, the last == max_length.
//   * reserve_for(p) = the smallest edge >= p (p clamped to [1, max_length]).
//   * observe(len) adds a completed length; every `recalibrate_every` observations, or sooner when
//     drift is detected, the K edges are re-chosen to minimise the expected reserved-but-unused
//     slots Σ_l h(l)·(edge(l) − l) over the decayed histogram — exactly (dynamic programming).
#pragma once

#include <cstdint>
#include <vector>

namespace odma::kv {

struct AdaptiveBucketsConfig {
  std::int32_t max_length = 2048;        // largest output length a bucket must cover
  std::int32_t buckets = 16;             // K
  std::int32_t granule = 16;             // edges are multiples of this (histogram bin width)
  std::int32_t recalibrate_every = 256;  // observations between scheduled recalibrations
  double half_life = 4096;               // observations after which a length's weight halves
};

class AdaptiveBuckets {
 public:
  // Throws odma::Error on an invalid config (K < 1, K > max_length / granule, granule < 1, ...).
  explicit AdaptiveBuckets(const AdaptiveBucketsConfig& config);

  std::int32_t reserve_for(std::int32_t predicted_output) const;
  const std::vector<std::int32_t>& edges() const { return edges_; }
  std::int32_t max_length() const { return config_.max_length; }

  // Returns true if this observation triggered a recalibration.
  bool observe(std::int32_t output_tokens);
  std::int64_t recalibrations() const { return recalibrations_; }

 private:
  AdaptiveBucketsConfig config_;
  std::vector<std::int32_t> edges_;
  std::int64_t recalibrations_ = 0;
  // Implementation state (histogram, drift detector) is added by the implementation.
};

}  // namespace odma::kv
