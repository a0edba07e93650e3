// s3 (S3, Jin et al. 2023): `s3_buckets` equal-width buckets over [0, s3_max_output]; a request
// reserves prompt + the upper edge of its predicted bucket (clamped to its cap, granule-rounded).
// On overflow it is preempted; the caller re-queues it with generated_before_preemption = g, and
// the re-admission takes the bucket containing g — the first whose upper edge exceeds g (the
// next bucket). Past s3_max_output it reserves the cap. No compaction.
//
// Bucket b (0-based) covers [b·w, (b+1)·w), w = s3_max_output / s3_buckets; upper edge ⌈(b+1)·w⌉.
#pragma once

#include <vector>

#include "kv/contiguous_policy.h"

namespace odma::kv {

class S3Policy final : public ContiguousPolicy {
 public:
  explicit S3Policy(const PolicyConfig& config);
  std::string name() const override { return "s3"; }
  std::vector<std::int32_t> bucket_edges() const override { return edges_; }

  // Index of the bucket holding `output_tokens` (the last bucket for anything past the range).
  std::int32_t bucket_of(std::int64_t output_tokens) const;

 protected:
  std::int64_t reservation(const RequestSpec& spec) const override;

 private:
  std::vector<std::int32_t> edges_;  // upper edges, strictly increasing, last == s3_max_output
};

}  // namespace odma::kv
