#include "kv/drift_detector.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/debug.h"

namespace odma::kv {

DriftDetector::DriftDetector(std::int32_t window, double false_alarm)
    : window_(window),
      log_term_(std::log(2.0 / false_alarm) / 2.0),
      threshold_(std::numeric_limits<double>::infinity()),
      ring_(static_cast<std::size_t>(window), 0),
      ring_bucket_(static_cast<std::size_t>(window), 0) {
  ODMA_ASSERT(window >= 1 && false_alarm > 0 && false_alarm < 1);
}

std::int32_t DriftDetector::bucket_of(std::int32_t length) const {
  const auto it = std::lower_bound(edges_.begin(), edges_.end(), length);
  if (it == edges_.end()) return static_cast<std::int32_t>(edges_.size()) - 1;
  return static_cast<std::int32_t>(it - edges_.begin());
}

void DriftDetector::set_reference(std::span<const std::int32_t> edges,
                                  std::span<const double> cdf_at_edges, double n_eff) {
  ODMA_ASSERT(edges.size() == cdf_at_edges.size() && !edges.empty());
  edges_.assign(edges.begin(), edges.end());
  reference_cdf_.assign(cdf_at_edges.begin(), cdf_at_edges.end());
  threshold_ = n_eff > 0 ? std::sqrt(log_term_ * (1.0 / window_ + 1.0 / n_eff))
                         : std::numeric_limits<double>::infinity();
  counts_.assign(edges_.size(), 0);
  for (std::int32_t i = 0; i < filled_; ++i) {
    const auto s = static_cast<std::size_t>(i);
    ring_bucket_[s] = bucket_of(ring_[s]);
    ++counts_[static_cast<std::size_t>(ring_bucket_[s])];
  }
}

bool DriftDetector::observe(std::int32_t length) {
  const auto slot = static_cast<std::size_t>(next_);
  const bool have_edges = !edges_.empty();
  if (filled_ == window_ && have_edges) --counts_[static_cast<std::size_t>(ring_bucket_[slot])];
  ring_[slot] = length;
  if (have_edges) {
    ring_bucket_[slot] = bucket_of(length);
    ++counts_[static_cast<std::size_t>(ring_bucket_[slot])];
  }
  next_ = next_ + 1 == window_ ? 0 : next_ + 1;
  filled_ = std::min(filled_ + 1, window_);
  return filled_ == window_ && statistic() > threshold_;
}

double DriftDetector::statistic() const {
  if (filled_ < window_ || edges_.empty()) return 0;
  double d = 0;
  std::int32_t cumulative = 0;
  const double inv = 1.0 / filled_;
  for (std::size_t k = 0; k < counts_.size(); ++k) {
    cumulative += counts_[k];
    d = std::max(d, std::abs(cumulative * inv - reference_cdf_[k]));
  }
  return d;
}

std::vector<std::int32_t> DriftDetector::window_lengths() const {
  std::vector<std::int32_t> out;
  out.reserve(static_cast<std::size_t>(filled_));
  const std::int32_t first = filled_ < window_ ? 0 : next_;
  for (std::int32_t i = 0; i < filled_; ++i)
    out.push_back(ring_[static_cast<std::size_t>((first + i) % window_)]);
  return out;
}

std::int32_t DriftDetector::change_point_suffix(std::int32_t min_suffix) const {
  if (edges_.empty() || filled_ == 0) return filled_;
  min_suffix = std::clamp(min_suffix, 1, filled_);
  std::vector<std::int32_t> suffix_counts(edges_.size(), 0);
  double best_score = -1;
  std::int32_t best = filled_;
  const std::int32_t newest = next_ == 0 ? window_ - 1 : next_ - 1;
  for (std::int32_t m = 1; m <= filled_; ++m) {
    const std::int32_t slot = (newest - (m - 1) + window_) % window_;
    ++suffix_counts[static_cast<std::size_t>(ring_bucket_[static_cast<std::size_t>(slot)])];
    if (m < min_suffix) continue;
    double d = 0;
    std::int32_t cumulative = 0;
    for (std::size_t k = 0; k < suffix_counts.size(); ++k) {
      cumulative += suffix_counts[k];
      d = std::max(d, std::abs(static_cast<double>(cumulative) / m - reference_cdf_[k]));
    }
    const double score = std::sqrt(static_cast<double>(m)) * d;
    if (score > best_score) {
      best_score = score;
      best = m;
    }
  }
  return best;
}

void DriftDetector::keep_newest(std::int32_t m) {
  std::vector<std::int32_t> lengths = window_lengths();
  m = std::clamp(m, 0, static_cast<std::int32_t>(lengths.size()));
  lengths.erase(lengths.begin(), lengths.end() - m);
  filled_ = 0;
  next_ = 0;
  std::fill(counts_.begin(), counts_.end(), 0);
  for (std::int32_t len : lengths) {
    const auto slot = static_cast<std::size_t>(next_);
    ring_[slot] = len;
    if (!edges_.empty()) {
      ring_bucket_[slot] = bucket_of(len);
      ++counts_[static_cast<std::size_t>(ring_bucket_[slot])];
    }
    next_ = next_ + 1 == window_ ? 0 : next_ + 1;
    ++filled_;
  }
}

}  // namespace odma::kv
