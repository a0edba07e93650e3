// Adaptive output-length buckets (ODMA): size classes recalibrated from an online histogram of
// completed lengths so that they follow distribution drift.
//
// Contract used by the odma policy (implementation: adaptive_buckets.cpp, histogram in
// length_histogram.h, optimal partition in bucket_partition.h, drift rule in drift_detector.h):
//   * edges() is strictly increasing, has exactly K entries, each a multiple of the granule except
//     the last, which == max_length (a multiple too when granule divides max_length).
//   * reserve_for(p) = the smallest edge >= p (p clamped to [1, max_length]). O(1).
//   * observe(len) adds a completed length (clamped to [1, max_length]) to a decayed histogram with
//     one bin per granule; every `recalibrate_every` observations, or sooner when drift is
//     detected, the K edges are re-chosen to minimise the expected reserved-but-unused slots Σ_l
//     h(l)·(edge(l) − l) over the decayed histogram — exactly (dynamic programming,
//     bucket_partition.h). With an empty histogram the edges are geometric_edges().
//   * Drift (drift_detector.h): a KS test of the last W = clamp(recalibrate_every / 2, 32, 1024)
//     lengths against the histogram at the current edges, false-alarm level δ = 1e-6 per check.
//     On drift the histogram is rebuilt from those W lengths only (the old distribution no longer
//     describes the stream) and the edges are recalibrated at once. A shift that moves the CDF at
//     some edge by Δ > ε is flagged within W completions with probability ≥ 1 − 2·exp(−2W(Δ−ε)²).
//
// Waste bound (mimalloc states one for its bins; this is ours). Let h be the decayed histogram
// at the last recalibration, w(E) = E_h[edge_E(l) − l] the expected reserved-but-unused slots per
// request under edges E, g the granule. For the chosen edges E*:
//   (1) w(E*) ≤ w(E) for EVERY K-edge set E on the granule grid ending at max_length, in
//       particular the geometric, equal-width (S3-style) and equal-mass partitions;
//   (2) hence w(E*) ≤ w(geometric) ≤ (ρ − 1)·E_h[l] + e_1, where e_i = geometric_edges() and
//       ρ = max(1, max_{i≥2} (e_i − g) / e_{i−1}); ρ = 1.373 and e_1 = g = 16 for the defaults
//       (2048, K 16): at most 37.3% of the mean length plus one granule. (l in bucket i ≥ 2 has l >
//       e_{i−1}, so e_i − l < e_i − e_{i−1} ≤ (ρ − 1)·e_{i−1} + g < (ρ − 1)·l + g; bucket 1 wastes
//       < e_1.)
//   (3) per request (worst case), a length l in bucket i wastes
//       edge_i − l ≤ edge_i − edge_{i−1} − 1 slots (edge_0 = 0), when its bucket is chosen for it.
// These hold for the histogram the edges were fitted to; for the live stream they hold up to the
// drift the detector tolerates (ε in CDF at each edge).
#pragma once

#include <cstdint>
#include <vector>

#include "kv/drift_detector.h"
#include "kv/length_histogram.h"

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
  // Throws odma::Error on an invalid config: K < 1, K > ⌈max_length / granule⌉ (the number of
  // granule bins), granule < 1, max_length < granule, recalibrate_every < 1, half_life ≤ 0 or NaN.
  explicit AdaptiveBuckets(const AdaptiveBucketsConfig& config);

  std::int32_t reserve_for(std::int32_t predicted_output) const;
  const std::vector<std::int32_t>& edges() const { return edges_; }
  std::int32_t max_length() const { return config_.max_length; }

  // Returns true if this observation triggered a recalibration.
  bool observe(std::int32_t output_tokens);
  std::int64_t recalibrations() const { return recalibrations_; }

  // Introspection (tests, benchmarks, metrics).
  const AdaptiveBucketsConfig& config() const { return config_; }
  const LengthHistogram& histogram() const { return histogram_; }
  const DriftDetector& drift_detector() const { return drift_; }
  std::int64_t drift_recalibrations() const { return drift_recalibrations_; }  // ⊆ recalibrations()
  // w(edges()) under the current histogram (0 when empty).
  double expected_waste() const { return histogram_.expected_waste(edges_); }
  // Forces a recalibration now (as if scheduled).
  void recalibrate();

  // The default (empty-histogram) edges: bin indices round(ρ^i) − 1 with ρ = B^(1/(K−1)),
  // made strictly increasing, as lengths. Throws odma::Error on an invalid config.
  static std::vector<std::int32_t> geometric_edges(const AdaptiveBucketsConfig& config);

 private:
  void set_edges(std::vector<std::int32_t> edges);

  AdaptiveBucketsConfig config_;
  std::vector<std::int32_t> edges_;
  std::int64_t recalibrations_ = 0;
  std::int64_t drift_recalibrations_ = 0;
  std::int32_t since_recalibration_ = 0;  // observations since the last recalibration
  std::int32_t next_due_;                 // recalibrate when since_recalibration_ reaches it
  LengthHistogram histogram_;
  DriftDetector drift_;
  std::vector<std::int32_t>
      edge_of_bin_;  // edge_of_bin_[b] = smallest edge ≥ upper(b): O(1) lookup
};

}  // namespace odma::kv
