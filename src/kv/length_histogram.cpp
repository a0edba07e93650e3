#include "kv/length_histogram.h"

#include <algorithm>
#include <cmath>

#include "base/debug.h"

namespace odma::kv {

LengthHistogram::LengthHistogram(std::int32_t max_length, std::int32_t granule, double half_life)
    : max_length_(max_length),
      granule_(granule),
      growth_(std::exp2(std::min(1.0 / half_life, kMaxGrowthLog2))),
      mass_raw_(static_cast<std::size_t>((max_length + granule - 1) / granule), 0.0),
      length_sum_raw_(mass_raw_.size(), 0.0) {
  ODMA_ASSERT(granule >= 1 && max_length >= granule && half_life > 0);
}

std::int32_t LengthHistogram::bin_of(std::int32_t length) const {
  length = std::clamp(length, 1, max_length_);
  return (length - 1) / granule_;
}

std::int32_t LengthHistogram::upper(std::int32_t bin) const {
  return std::min((bin + 1) * granule_, max_length_);
}

void LengthHistogram::add(std::int32_t length) {
  length = std::clamp(length, 1, max_length_);
  const auto b = static_cast<std::size_t>((length - 1) / granule_);
  // scale_ ≤ kRenormaliseAt · 2^kMaxGrowthLog2 ≈ 2e119 after growing, so Σw² (≈ scale_²) stays
  // finite.
  if (scale_ > kRenormaliseAt) renormalise();
  scale_ *= growth_;  // grow first: the newest observation then reads back as weight 1
  mass_raw_[b] += scale_;
  length_sum_raw_[b] += scale_ * length;
  total_raw_ += scale_;
  total_sq_raw_ += scale_ * scale_;
  ++observations_;
}

void LengthHistogram::renormalise() {
  const double inv = 1.0 / scale_;
  for (std::size_t b = 0; b < mass_raw_.size(); ++b) {
    mass_raw_[b] *= inv;
    length_sum_raw_[b] *= inv;
  }
  total_raw_ *= inv;
  total_sq_raw_ *= inv * inv;
  scale_ = 1;
}

void LengthHistogram::clear() {
  std::fill(mass_raw_.begin(), mass_raw_.end(), 0.0);
  std::fill(length_sum_raw_.begin(), length_sum_raw_.end(), 0.0);
  total_raw_ = 0;
  total_sq_raw_ = 0;
  scale_ = 1;
  observations_ = 0;
}

double LengthHistogram::effective_samples() const {
  return total_sq_raw_ > 0 ? total_raw_ * total_raw_ / total_sq_raw_ : 0.0;
}

double LengthHistogram::mean() const {
  if (total_raw_ <= 0) return 0;
  double s = 0;
  for (double x : length_sum_raw_) s += x;
  return s / total_raw_;
}

std::vector<double> LengthHistogram::masses() const {
  std::vector<double> out(mass_raw_.size());
  for (std::size_t b = 0; b < out.size(); ++b) out[b] = mass_raw_[b] / scale_;
  return out;
}

std::vector<double> LengthHistogram::length_sums() const {
  std::vector<double> out(length_sum_raw_.size());
  for (std::size_t b = 0; b < out.size(); ++b) out[b] = length_sum_raw_[b] / scale_;
  return out;
}

double LengthHistogram::expected_waste(std::span<const std::int32_t> edges) const {
  if (total_raw_ <= 0 || edges.empty()) return 0;
  double reserved = 0;  // Σ w·edge(l)
  double used = 0;      // Σ w·l
  std::size_t e = 0;
  for (std::int32_t b = 0; b < bins(); ++b) {
    while (e + 1 < edges.size() && edges[e] < upper(b)) ++e;
    reserved += mass_raw_[static_cast<std::size_t>(b)] * edges[e];
    used += length_sum_raw_[static_cast<std::size_t>(b)];
  }
  return (reserved - used) / total_raw_;
}

}  // namespace odma::kv
