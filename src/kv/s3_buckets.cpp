#include "kv/s3_buckets.h"

#include <algorithm>
#include <string>

#include "base/error.h"

namespace odma::kv {

S3Buckets::S3Buckets(std::int32_t max_length, std::int32_t buckets) : max_length_(max_length) {
  if (buckets < 1 || max_length < buckets) {
    throw Error("S3 buckets: need 1 <= buckets (" + std::to_string(buckets) + ") <= max_length (" +
                std::to_string(max_length) + ")");
  }
  upper_.resize(static_cast<std::size_t>(buckets));
  for (std::int32_t k = 0; k < buckets; ++k) {
    const std::int64_t num = static_cast<std::int64_t>(k + 1) * max_length;  // ⌈num / K⌉ − 1
    upper_[static_cast<std::size_t>(k)] =
        static_cast<std::int32_t>((num + buckets - 1) / buckets) - 1;
  }
  upper_.back() = max_length;
}

std::int32_t S3Buckets::bucket_of(std::int64_t length) const {
  const std::int64_t k = std::max<std::int64_t>(0, length) * count() / max_length_;
  return static_cast<std::int32_t>(std::min<std::int64_t>(k, count() - 1));
}

}  // namespace odma::kv
