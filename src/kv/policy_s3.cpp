#include "kv/policy_s3.h"

#include <algorithm>
#include <cmath>

namespace odma::kv {

S3Policy::S3Policy(const PolicyConfig& config) : ContiguousPolicy(config) {
  const double width = static_cast<double>(config.s3_max_output) / config.s3_buckets;
  for (std::int32_t b = 1; b <= config.s3_buckets; ++b) {
    edges_.push_back(static_cast<std::int32_t>(std::ceil(width * b - 1e-9)));
  }
}

std::int32_t S3Policy::bucket_of(std::int64_t output_tokens) const {
  // The first bucket whose upper edge exceeds the length: [b·w, (b+1)·w) holds it.
  auto it = std::upper_bound(edges_.begin(), edges_.end(), output_tokens,
                             [](std::int64_t v, std::int32_t edge) { return v < edge; });
  return static_cast<std::int32_t>(std::min<std::ptrdiff_t>(
      it - edges_.begin(), static_cast<std::ptrdiff_t>(edges_.size()) - 1));
}

std::int64_t S3Policy::reservation(const RequestSpec& spec) const {
  const std::int32_t generated = spec.generated_before_preemption;
  if (generated >= config_.s3_max_output) return reservation_for(spec, spec.max_output_tokens);
  const std::int32_t bucket =
      std::max(bucket_of(spec.prediction.output_tokens), generated > 0 ? bucket_of(generated) : 0);
  return reservation_for(spec, edges_[static_cast<std::size_t>(bucket)]);
}

}  // namespace odma::kv
