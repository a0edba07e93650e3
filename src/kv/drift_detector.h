// Detects that completed output lengths no longer follow the histogram the buckets were fitted to.
//
// Rule (a two-sample Kolmogorov–Smirnov test evaluated at the current bucket edges e_1 < … < e_K):
//   P_k = the histogram's mass fraction with length ≤ e_k, frozen at the last recalibration,
//   C_k = the fraction of the last W completed lengths with length ≤ e_k (kept incrementally),
//   D   = max_k |C_k − P_k|,
//   drift ⇔ the window is full and D > ε,   ε = sqrt( ln(2/δ) / 2 · (1/W + 1/n_eff) ),
// where n_eff is the histogram's Kish effective sample size at the snapshot and δ the false-alarm
// level. Cost: O(log K) to place a length plus O(K) for D, per observation; nothing depends on B.
//
// Bounds (stated, and exercised by tests/kv/test_buckets_drift.cpp):
//   * false alarm: if window and histogram are samples of one distribution, P(D > ε) ≤ δ per check
//     (DKW inequality 2·exp(−2Wε²) when n_eff → ∞; the two-sample KS tail otherwise).
//   * detection: if the new distribution G differs from the snapshot at some edge by
//     Δ = |G(e_k) − P_k| > ε, then once the window holds only post-shift lengths — at most W
//     completions after the shift — D ≤ ε has probability ≤ 2·exp(−2W(Δ − ε)²) (DKW), i.e. the
//     shift is flagged within W completions with probability ≥ 1 − 2·exp(−2W(Δ − ε)²).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace odma::kv {

class DriftDetector {
 public:
  // window ≥ 1 lengths; false_alarm δ in (0, 1).
  DriftDetector(std::int32_t window, double false_alarm);

  // New reference: bucket edges (strictly increasing), the histogram CDF at each edge (P_k, the
  // last one 1) and the histogram's effective sample size. n_eff ≤ 0 disables detection.
  void set_reference(std::span<const std::int32_t> edges, std::span<const double> cdf_at_edges,
                     double n_eff);

  // Records a completed length; true if drift is detected now.
  bool observe(std::int32_t length);

  // The window's lengths, oldest first.
  std::vector<std::int32_t> window_lengths() const;

  // Estimated change point after a detection: the length m ≥ min_suffix of the window's newest
  // suffix that maximises √m · D_m, D_m = max_k |C_k(suffix of m) − P_k|. A suffix drawn wholly
  // from the new distribution scores ≈ √m·Δ, growing with m; mixing in older lengths dilutes
  // D_m ∝ 1/m, so the score peaks near the shift. O(W·K), only on detection.
  std::int32_t change_point_suffix(std::int32_t min_suffix) const;
  // Drops all but the newest `m` lengths; checks resume once the window is full again.
  void keep_newest(std::int32_t m);
  std::int32_t window() const { return window_; }
  double threshold() const { return threshold_; }  // ε (infinity while disabled)
  double statistic() const;                        // D for the current window (0 while not full)

 private:
  std::int32_t bucket_of(std::int32_t length) const;

  std::int32_t window_;
  double log_term_;                        // ln(2/δ) / 2
  double threshold_;                       // ε
  std::vector<std::int32_t> edges_;        // e_k
  std::vector<double> reference_cdf_;      // P_k
  std::vector<std::int32_t> ring_;         // last W lengths (circular)
  std::vector<std::int32_t> ring_bucket_;  // bucket index of each ring entry under edges_
  std::vector<std::int32_t> counts_;       // window lengths per bucket: Σ counts_ = filled_
  std::int32_t next_ = 0;                  // ring slot the next length goes to
  std::int32_t filled_ = 0;                // min(observations, W)
};

}  // namespace odma::kv
