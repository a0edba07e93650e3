// A fine-grained, exponentially decayed histogram of completed output lengths.
//
// Glossary:
//   granule g  bin width in tokens; bin b holds lengths l with b·g < l ≤ upper(b).
//   upper(b)   min((b+1)·g, max_length): where a bucket edge can sit at bin resolution.
//   weight     an observation made n observations ago counts 2^(−n / half_life).
//
// Lazy decay keeps observe() O(1): instead of shrinking every bin per observation, each new
// observation is added with weight scale_ = r^t (r = 2^(1/half_life), t = observations so far,
// itself included), which grows; reading divides by scale_, so the newest observation weighs 1.
// When scale_ passes kRenormaliseAt every stored sum is divided by it once (O(bins), once per
// log2(1e100)·half_life ≈ 332·half_life observations). Half-lives below 1/64 act as 1/64.
//
// Invariants (up to floating-point rounding), with lo(b) = b·g:
//   total_raw_ = Σ_b mass_raw_[b]
//   mass_raw_[b]·(lo(b) + 1) ≤ length_sum_raw_[b] ≤ mass_raw_[b]·upper(b)
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace odma::kv {

class LengthHistogram {
 public:
  // Preconditions (checked by the owner, AdaptiveBuckets): granule ≥ 1, max_length ≥ granule,
  // half_life > 0 (infinity = no decay).
  LengthHistogram(std::int32_t max_length, std::int32_t granule, double half_life);

  // Adds one completed length, clamped to [1, max_length]. O(1) amortised.
  void add(std::int32_t length);
  // Forgets everything (weights restart at 1).
  void clear();

  std::int32_t bins() const { return static_cast<std::int32_t>(mass_raw_.size()); }
  std::int32_t granule() const { return granule_; }
  std::int32_t max_length() const { return max_length_; }
  std::int32_t bin_of(std::int32_t length) const;  // length clamped to [1, max_length]
  std::int32_t upper(std::int32_t bin) const;      // largest length of `bin`

  // Decayed weights, normalised so that the newest observation weighs 1.
  double mass(std::int32_t bin) const { return mass_raw_[bin] / scale_; }
  double total() const { return total_raw_ / scale_; }
  // Kish effective sample size (Σw)² / Σw²: how many equal-weight samples the histogram is worth.
  double effective_samples() const;
  std::int64_t observations() const { return observations_; }  // since the last clear()
  double mean() const;                                         // 0 when empty

  // Copies of the normalised masses and of Σ w·l per bin (for the partition DP and waste figures).
  std::vector<double> masses() const;
  std::vector<double> length_sums() const;

  // Expected reserved-but-unused slots per request, Σ_l h(l)·(edge(l) − l) / Σ_l h(l), when lengths
  // are served by `edges` (strictly increasing, last ≥ max_length, each at a bin upper or beyond).
  // 0 when empty.
  double expected_waste(std::span<const std::int32_t> edges) const;

 private:
  void renormalise();

  std::int32_t max_length_;
  std::int32_t granule_;
  double growth_;            // r = 2^(1/half_life): scale_ multiplier per observation
  double scale_ = 1;         // weight the next observation is added with
  double total_raw_ = 0;     // Σ raw weights
  double total_sq_raw_ = 0;  // Σ raw weights², for effective_samples()
  std::int64_t observations_ = 0;
  std::vector<double> mass_raw_;        // Σ raw weight per bin
  std::vector<double> length_sum_raw_;  // Σ raw weight · length per bin
  static constexpr double kRenormaliseAt = 1e100;
  static constexpr double kMaxGrowthLog2 = 64;  // cap on log2(r): keeps scale_² finite
};

}  // namespace odma::kv
