#include "kv/bucket_partition.h"

#include <limits>
#include <string>

#include "base/error.h"

namespace odma::kv {
namespace {

void check_input(std::span<const double> mass, std::span<const std::int32_t> upper,
                 std::int32_t k) {
  const auto bins = static_cast<std::int64_t>(mass.size());
  if (bins == 0 || upper.size() != mass.size())
    throw Error("bucket partition: need equally many (> 0) masses and upper edges");
  if (k < 1 || k > bins)
    throw Error("bucket partition: " + std::to_string(k) + " buckets for " + std::to_string(bins) +
                " bins (need 1 ≤ K ≤ bins)");
  for (std::size_t b = 0; b < mass.size(); ++b) {
    if (!(mass[b] >= 0) || mass[b] == std::numeric_limits<double>::infinity())
      throw Error("bucket partition: mass of bin " + std::to_string(b) + " is not finite and ≥ 0");
    if (b > 0 && upper[b] <= upper[b - 1])
      throw Error("bucket partition: upper edges must be strictly increasing");
  }
}

// Layered DP state: prefix sums, the previous layer's optimum and the chosen segment starts.
struct Dp {
  std::span<const std::int32_t> upper;
  std::vector<double> prefix;     // prefix[j] = Σ_{b<j} mass[b]
  std::vector<double> prev, cur;  // best cost covering bins 0..j with k−1 / k segments
  std::vector<std::vector<std::int32_t>> start;  // start[k][j]: first bin of the k-th segment

  // Cost of covering 0..j with k segments when the last one starts at bin i (i ≥ k − 1 ≥ 0).
  double candidate(std::int32_t i, std::int32_t j) const {
    const double before = i == 0 ? 0.0 : prev[static_cast<std::size_t>(i - 1)];
    return before + upper[static_cast<std::size_t>(j)] * (prefix[static_cast<std::size_t>(j) + 1] -
                                                          prefix[static_cast<std::size_t>(i)]);
  }

  // Fills cur[j] for j in [lo, hi], knowing the leftmost optimal start lies in [opt_lo, opt_hi].
  void solve(std::int32_t layer, std::int32_t lo, std::int32_t hi, std::int32_t opt_lo,
             std::int32_t opt_hi) {
    while (lo <= hi) {
      const std::int32_t mid = lo + (hi - lo) / 2;
      double best = std::numeric_limits<double>::infinity();
      std::int32_t arg = opt_lo;
      const std::int32_t last = std::min(mid, opt_hi);
      for (std::int32_t i = opt_lo; i <= last; ++i) {
        const double c = candidate(i, mid);
        if (c < best) {
          best = c;
          arg = i;
        }
      }
      cur[static_cast<std::size_t>(mid)] = best;
      start[static_cast<std::size_t>(layer)][static_cast<std::size_t>(mid)] = arg;
      solve(layer, lo, mid - 1, opt_lo, arg);
      // Tail-iterate on the right half.
      lo = mid + 1;
      opt_lo = arg;
    }
  }
};

Partition run(std::span<const double> mass, std::span<const std::int32_t> upper, std::int32_t k,
              bool divide_and_conquer) {
  check_input(mass, upper, k);
  const auto bins = static_cast<std::int32_t>(mass.size());
  Dp dp{upper, std::vector<double>(mass.size() + 1, 0.0), std::vector<double>(mass.size(), 0.0),
        std::vector<double>(mass.size(), 0.0),
        std::vector<std::vector<std::int32_t>>(static_cast<std::size_t>(k),
                                               std::vector<std::int32_t>(mass.size(), 0))};
  for (std::size_t b = 0; b < mass.size(); ++b) dp.prefix[b + 1] = dp.prefix[b] + mass[b];
  for (std::int32_t layer = 0; layer < k; ++layer) {
    // Layer `layer` uses layer + 1 segments: bins 0..j need j ≥ layer. The last layer only needs
    // B−1.
    const std::int32_t lo = layer + 1 == k ? bins - 1 : layer;
    if (layer == 0) {  // one segment: it starts at bin 0
      for (std::int32_t j = lo; j < bins; ++j) {
        dp.cur[static_cast<std::size_t>(j)] = dp.candidate(0, j);
        dp.start[0][static_cast<std::size_t>(j)] = 0;
      }
    } else if (divide_and_conquer) {
      dp.solve(layer, lo, bins - 1, layer, bins - 1);
    } else {
      for (std::int32_t j = lo; j < bins; ++j) {
        double best = std::numeric_limits<double>::infinity();
        std::int32_t arg = layer;
        for (std::int32_t i = layer; i <= j; ++i) {
          const double c = dp.candidate(i, j);
          if (c < best) {
            best = c;
            arg = i;
          }
        }
        dp.cur[static_cast<std::size_t>(j)] = best;
        dp.start[static_cast<std::size_t>(layer)][static_cast<std::size_t>(j)] = arg;
      }
    }
    std::swap(dp.prev, dp.cur);
  }
  Partition out;
  out.cost = dp.prev[static_cast<std::size_t>(bins - 1)];
  out.ends.assign(static_cast<std::size_t>(k), 0);
  std::int32_t end = bins - 1;
  for (std::int32_t layer = k - 1; layer >= 0; --layer) {
    out.ends[static_cast<std::size_t>(layer)] = end;
    end = dp.start[static_cast<std::size_t>(layer)][static_cast<std::size_t>(end)] - 1;
  }
  return out;
}

}  // namespace

Partition optimal_partition(std::span<const double> mass, std::span<const std::int32_t> upper,
                            std::int32_t k) {
  return run(mass, upper, k, /*divide_and_conquer=*/true);
}

Partition optimal_partition_quadratic(std::span<const double> mass,
                                      std::span<const std::int32_t> upper, std::int32_t k) {
  return run(mass, upper, k, /*divide_and_conquer=*/false);
}

double partition_cost(std::span<const double> mass, std::span<const std::int32_t> upper,
                      std::span<const std::int32_t> ends) {
  double cost = 0;
  std::size_t b = 0;
  for (std::int32_t end : ends) {
    double seg = 0;
    for (; b <= static_cast<std::size_t>(end) && b < mass.size(); ++b) seg += mass[b];
    cost += upper[static_cast<std::size_t>(end)] * seg;
  }
  return cost;
}

}  // namespace odma::kv
