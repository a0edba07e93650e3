#include "kv/policy_s3.h"

#include <algorithm>

namespace odma::kv {

S3Policy::S3Policy(const PolicyConfig& config)
    : ContiguousPolicy(config), buckets_(config.s3_max_output, config.s3_buckets) {}

std::int64_t S3Policy::reservation(const RequestSpec& spec) const {
  const std::int32_t generated = spec.generated_before_preemption;
  if (generated >= config_.s3_max_output) return reservation_for(spec, spec.max_output_tokens);
  const std::int32_t bucket =
      std::max(bucket_of(spec.prediction.output_tokens), generated > 0 ? bucket_of(generated) : 0);
  return reservation_for(spec, buckets_.upper(bucket));
}

}  // namespace odma::kv
