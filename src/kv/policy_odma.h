// odma (arXiv 2512.09427 + chained extents): contiguous, on-demand, adaptive.
//
// Buckets are size classes of the whole extent, prompt + output (the histogram learns completed
// totals), so a reservation is rounded once.
// Admission reserves reserve_for(prompt + predicted output), capped at the request's cap — the
// cap itself when the prediction's uncertainty >= uncertainty_threshold, and a bucket past
// prompt + generated_before_preemption on re-admission — and only if free − need >= safety pool
// afterwards (waived when nothing is live). If no free range holds it, a bounded compaction may
// make one.
//
// Overflow (growth past the reservation), target T = reserve_for(total so far), the next bucket,
// capped at the request's cap — for a move or a further extent under GrowthRule::kConditioned
// with a predicted distribution instead round_up(prompt + quantile_after(generated, coverage)),
// to the granule, capped; minimum M = round_up(total):
//   1. grow in place over the free range after the last extent, up to T (at least to M);
//   2. migrate to a new extent of T (else M) slots, anywhere, safety pool included — CopyOps of
//      the stored tokens;
//   3. chain a further extent (max_extents > 1, every extent >= min_extent_tokens) — no copy;
//   4. compact (lowest-address-first sliding, <= compaction_max_moves) until 1 or 2 succeeds;
//   5. preempt (release for recompute) — the last resort. Preempting a request that is alone in
//      the arena would mean it can never be served: that is counted in failed_requests.
// finish() feeds the completed length to the adaptive buckets.
//
// Safety pool (slots admission may not take):
//   demand sample d = Σ_live (reserved − admitted_reserved) after each overflow, plus the source
//   extent's slots for a migration (both are held while copying); also taken at every finish and
//   release so that the estimate decays once overflows stop.
//   D ← d if d > D, else D + (d − D)/64      (peak-hold EWMA: rises at once, decays slowly)
//   pool = clamp(round_up(D), round_up(min·C), round_down(max·C))   (C = capacity, granule units)
#pragma once

#include <cstdint>

#include "kv/adaptive_buckets.h"
#include "kv/contiguous_policy.h"

namespace odma::kv {

class OdmaPolicy final : public ContiguousPolicy {
 public:
  explicit OdmaPolicy(const PolicyConfig& config);
  std::string name() const override { return "odma"; }
  KvCounters counters() const override;
  std::vector<std::int32_t> bucket_edges() const override { return buckets_.edges(); }

  const AdaptiveBuckets& buckets() const { return buckets_; }
  double overflow_demand() const { return demand_; }  // D above

 protected:
  std::int64_t reservation(const RequestSpec& spec) const override;
  std::int64_t bucketed(const RequestSpec& spec, std::int64_t total_tokens) const;
  // GrowthRule::kConditioned with a predicted distribution: the output length to size for once
  // the request is known to produce more than `generated` tokens (the prediction's quantile of
  // the distribution conditioned on that); nullopt otherwise (the next bucket decides alone).
  std::optional<std::int32_t> conditioned_end(const RequestSpec& spec,
                                              std::int32_t generated) const;
  bool admission_allowed(std::int64_t need) const override;
  std::optional<std::int64_t> place_after_compaction(std::int64_t need, RequestId id,
                                                     std::vector<CopyOp>& copies) override;
  GrowResult overflow(Live& live, std::int64_t total_tokens) override;
  void on_finish(const Live& live, std::int32_t output_tokens) override;
  void on_drop(const Live& live) override;
  std::int64_t safety_pool() const override { return pool_; }
  std::string validate_policy() const override;

 private:
  bool try_grow_in_place(Live& live, std::int64_t target, std::int64_t minimum);
  bool try_migrate(Live& live, std::int64_t target, std::int64_t minimum, GrowResult& result);
  bool try_chain(Live& live, std::int64_t target, std::int64_t minimum);
  void sample_demand(std::int64_t transient);

  OdmaOptions options_;
  AdaptiveBuckets buckets_;
  std::int64_t pool_min_ = 0;
  std::int64_t pool_max_ = 0;
  std::int64_t pool_ = 0;
  double demand_ = 0.0;
  std::int64_t overflow_held_ = 0;  // Σ_live (reserved − admitted_reserved)
};

// Drifts the odma policy's bucket drift detector has flagged so far
// (AdaptiveBuckets::drift_recalibrations); 0 for every other policy. Whoever runs the predictor
// (sim/trace_driver.h, the server's engine loop) passes an increase on to it
// (predict::Predictor::notify_drift): the lengths moved, so the bin prior should move fast.
std::int64_t drift_detections(const Policy& policy);

}  // namespace odma::kv
