// s3 (S3, Jin et al. 2023): `s3_buckets` equal-width buckets over [0, s3_max_output]
// (kv/s3_buckets.h: the definition shared with the predictor's S3-protocol accuracy); a request
// reserves prompt + the inclusive upper bound of its predicted bucket (the bucket's longest length;
// clamped to its cap, granule-rounded). On overflow it is preempted; the caller re-queues it with
// generated_before_preemption = g, and the re-admission takes the bucket containing g (the next
// bucket). Past s3_max_output it reserves the cap. No compaction.
#pragma once

#include <vector>

#include "kv/contiguous_policy.h"
#include "kv/s3_buckets.h"

namespace odma::kv {

class S3Policy final : public ContiguousPolicy {
 public:
  explicit S3Policy(const PolicyConfig& config);
  std::string name() const override { return "s3"; }
  std::vector<std::int32_t> bucket_edges() const override { return buckets_.uppers(); }

  // Index of the bucket holding `output_tokens` (the last bucket for anything past the range).
  std::int32_t bucket_of(std::int64_t output_tokens) const {
    return buckets_.bucket_of(output_tokens);
  }

 protected:
  std::int64_t reservation(const RequestSpec& spec) const override;

 private:
  S3Buckets buckets_;
};

}  // namespace odma::kv
