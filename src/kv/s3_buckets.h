// S3's equal-width output-length buckets (DESIGN.md "S3 protocol"), the one definition used by the
// s3 policy and by the predictor's S3-protocol accuracy.
//
//   K buckets of width w = max / K over [0, max]. Bucket k holds the integer lengths L with
//   k·w ≤ L < (k + 1)·w; the last one also holds L = max (and longer lengths, clamped):
//     bucket_of(L) = min(K − 1, ⌊max(L, 0) · K / max⌋)
//   Its inclusive upper bound is the longest length it holds:
//     upper(k) = ⌈(k + 1)·w⌉ − 1   (k < K − 1),   upper(K − 1) = max
//   so L ≤ upper(k) ⇔ bucket_of(L) ≤ k. The s3 policy reserves upper(bucket): the bucket's
//   longest request fits exactly, and no slot is reserved that no request of the bucket can use.
//   (Reserving the exclusive edge ⌈(k + 1)·w⌉ instead, as odma did before 2026-12, wasted one
//   slot per request before granule rounding.)
#pragma once

#include <cstdint>
#include <vector>

namespace odma::kv {

class S3Buckets {
 public:
  // Throws odma::Error unless 1 <= buckets <= max_length.
  S3Buckets(std::int32_t max_length, std::int32_t buckets);

  std::int32_t bucket_of(std::int64_t length) const;
  std::int32_t upper(std::int32_t bucket) const { return upper_[static_cast<std::size_t>(bucket)]; }
  const std::vector<std::int32_t>& uppers() const { return upper_; }
  std::int32_t count() const { return static_cast<std::int32_t>(upper_.size()); }
  std::int32_t max_length() const { return max_length_; }

 private:
  std::int32_t max_length_;
  std::vector<std::int32_t> upper_;
};

}  // namespace odma::kv
