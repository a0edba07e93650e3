// Accuracy metrics for length predictors (DESIGN.md "Evaluation protocol"). All take parallel
// vectors (truth[i], predicted[i]); empty or mismatched inputs throw odma::Error.
//
//   S3 buckets          kv/s3_buckets.h (the definition the s3 policy uses too)
//   bucket accuracy     = #{i : bucket(pred_i) == bucket(truth_i)} / n
//   MAE                 = Σ |pred_i − truth_i| / n
//   coverage            = #{i : truth_i <= reserved_i} / n
//   over-reservation    = Σ max(0, reserved_i − truth_i) / n      (tokens reserved but never used)
//   Kendall tau-b       = (C − D) / sqrt((n0 − n1)(n0 − n2)), n0 = n(n−1)/2, n1 / n2 = pairs
//                         tied in x / y; O(n log n) (Knight 1966); 0 when a side is constant.
#pragma once

#include <cstdint>
#include <vector>

namespace odma::predict {

// Index of the bucket (given by inclusive upper bounds: S3's, odma's adaptive ones) holding
// `length`; past the last → last.
std::int32_t bucket_of(const std::vector<std::int32_t>& upper, std::int32_t length);

double bucket_accuracy(const std::vector<std::int32_t>& true_bucket,
                       const std::vector<std::int32_t>& predicted_bucket);
double mean_absolute_error(const std::vector<std::int32_t>& truth,
                           const std::vector<double>& predicted);
double coverage(const std::vector<std::int32_t>& truth, const std::vector<std::int32_t>& reserved);
double mean_over_reservation(const std::vector<std::int32_t>& truth,
                             const std::vector<std::int32_t>& reserved);
double kendall_tau(const std::vector<double>& x, const std::vector<double>& y);
// The O(n²) definition, for tests.
double kendall_tau_reference(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace odma::predict
