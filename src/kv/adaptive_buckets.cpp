#include "kv/adaptive_buckets.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "base/error.h"
#include "kv/bucket_partition.h"

namespace odma::kv {
namespace {

constexpr double kDriftFalseAlarm = 1e-6;     // δ: per-check false-alarm level of the drift test
constexpr std::int32_t kMinDriftSuffix = 16;  // fewest lengths a histogram restarts from

const AdaptiveBucketsConfig& validated(const AdaptiveBucketsConfig& c) {
  const std::string where = "adaptive buckets: ";
  if (c.granule < 1)
    throw Error(where + "granule must be >= 1 (got " + std::to_string(c.granule) + ")");
  if (c.max_length < c.granule)
    throw Error(where + "max_length " + std::to_string(c.max_length) + " is below the granule " +
                std::to_string(c.granule));
  const std::int64_t bins = (static_cast<std::int64_t>(c.max_length) + c.granule - 1) / c.granule;
  if (c.buckets < 1 || c.buckets > bins)
    throw Error(where + "buckets must be in [1, " + std::to_string(bins) +
                "] (granule slots up to max_length), got " + std::to_string(c.buckets));
  if (c.recalibrate_every < 1)
    throw Error(where + "recalibrate_every must be >= 1 (got " +
                std::to_string(c.recalibrate_every) + ")");
  if (!(c.half_life > 0))
    throw Error(where + "half_life must be > 0 (got " + std::to_string(c.half_life) + ")");
  return c;
}

std::int32_t drift_window(const AdaptiveBucketsConfig& c) {
  return std::clamp(c.recalibrate_every / 2, 32, 1024);
}

}  // namespace

AdaptiveBuckets::AdaptiveBuckets(const AdaptiveBucketsConfig& config)
    : config_(validated(config)),
      next_due_(config.recalibrate_every),
      histogram_(config.max_length, config.granule, config.half_life),
      drift_(drift_window(config), kDriftFalseAlarm) {
  set_edges(geometric_edges(config_));
}

std::vector<std::int32_t> AdaptiveBuckets::geometric_edges(const AdaptiveBucketsConfig& config) {
  const AdaptiveBucketsConfig& c = validated(config);
  const std::int32_t bins = (c.max_length + c.granule - 1) / c.granule;
  const std::int32_t k = c.buckets;
  std::vector<std::int32_t> bin(static_cast<std::size_t>(k));
  const double ratio = k > 1 ? std::pow(static_cast<double>(bins), 1.0 / (k - 1)) : 1.0;
  for (std::int32_t i = 0; i < k; ++i)
    bin[static_cast<std::size_t>(i)] =
        static_cast<std::int32_t>(std::lround(std::pow(ratio, i))) - 1;
  bin[static_cast<std::size_t>(k - 1)] = bins - 1;
  // Strictly increasing within [0, bins − 1] (feasible because k ≤ bins).
  for (std::size_t i = 1; i < bin.size(); ++i) bin[i] = std::max(bin[i], bin[i - 1] + 1);
  for (std::size_t i = bin.size() - 1; i-- > 0;) bin[i] = std::min(bin[i], bin[i + 1] - 1);
  std::vector<std::int32_t> edges(bin.size());
  for (std::size_t i = 0; i < bin.size(); ++i)
    edges[i] = std::min((bin[i] + 1) * c.granule, c.max_length);
  return edges;
}

void AdaptiveBuckets::set_edges(std::vector<std::int32_t> edges) {
  edges_ = std::move(edges);
  edge_of_bin_.resize(static_cast<std::size_t>(histogram_.bins()));
  std::size_t e = 0;
  for (std::int32_t b = 0; b < histogram_.bins(); ++b) {
    while (edges_[e] < histogram_.upper(b)) ++e;  // edges_.back() == max_length ≥ every upper
    edge_of_bin_[static_cast<std::size_t>(b)] = edges_[e];
  }
}

std::int32_t AdaptiveBuckets::reserve_for(std::int32_t predicted_output) const {
  return edge_of_bin_[static_cast<std::size_t>(histogram_.bin_of(predicted_output))];
}

void AdaptiveBuckets::recalibrate() {
  ++recalibrations_;
  since_recalibration_ = 0;
  // A young histogram (rebuilt after drift) is refitted each time its sample count doubles.
  next_due_ = static_cast<std::int32_t>(
      std::clamp<std::int64_t>(histogram_.observations(), 1, config_.recalibrate_every));
  if (histogram_.total() <= 0) {
    next_due_ = config_.recalibrate_every;
    set_edges(geometric_edges(config_));
    drift_.set_reference(edges_, std::vector<double>(edges_.size(), 1.0), 0.0);
    return;
  }
  const std::vector<double> mass = histogram_.masses();
  std::vector<std::int32_t> upper(mass.size());
  for (std::int32_t b = 0; b < histogram_.bins(); ++b)
    upper[static_cast<std::size_t>(b)] = histogram_.upper(b);
  const Partition p = optimal_partition(mass, upper, config_.buckets);
  std::vector<std::int32_t> edges(p.ends.size());
  std::vector<double> cdf(p.ends.size());
  double cumulative = 0;
  std::size_t b = 0;
  for (std::size_t i = 0; i < p.ends.size(); ++i) {
    const auto end = static_cast<std::size_t>(p.ends[i]);
    edges[i] = upper[end];
    for (; b <= end; ++b) cumulative += mass[b];
    cdf[i] = cumulative / histogram_.total();
  }
  cdf[cdf.size() - 1] = 1.0;  // exactly, despite rounding
  set_edges(std::move(edges));
  drift_.set_reference(edges_, cdf, histogram_.effective_samples());
}

bool AdaptiveBuckets::observe(std::int32_t output_tokens) {
  output_tokens = std::clamp(output_tokens, 1, config_.max_length);
  histogram_.add(output_tokens);
  ++since_recalibration_;
  if (drift_.observe(output_tokens)) {
    // The histogram no longer describes the stream: restart it from the lengths observed since
    // the estimated change point.
    drift_.keep_newest(drift_.change_point_suffix(kMinDriftSuffix));
    histogram_.clear();
    for (std::int32_t len : drift_.window_lengths()) histogram_.add(len);
    ++drift_recalibrations_;
    recalibrate();
    return true;
  }
  if (since_recalibration_ >= next_due_) {
    recalibrate();
    return true;
  }
  return false;
}

}  // namespace odma::kv
