#include "kv/bucket_partition.h"

#include <limits>
#include <string>
#include <utility>

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
// Covering bins 0..j with k segments, the last starting at bin i, costs
//     before[i] + u_j·(S[j+1] − S[i]) = (before[i] − u_j·S[i]) + u_j·S[j+1],
// before[i] = the best cost of bins 0..i−1 with k − 1 segments. The bracketed key is what the
// search minimises over i; both solvers evaluate exactly these expressions, so equal optima are
// bit-identical.
struct Dp {
  std::span<const std::int32_t> upper;
  std::vector<double> prefix;  // prefix[j] = Σ_{b<j} mass[b]
  std::vector<double> before;  // before[i] = previous layer's best cost of bins 0..i−1
  std::vector<double> cur;     // this layer's best cost of bins 0..j
  std::vector<std::vector<std::int32_t>> start;  // start[k][j]: first bin of the k-th segment

  // Leftmost argmin over i in [first, last] of the key, for end bin j; returns (cost, i).
  std::pair<double, std::int32_t> best_start(std::int32_t j, std::int32_t first,
                                             std::int32_t last) const {
    const double u = upper[static_cast<std::size_t>(j)];
    const double* b = before.data();
    const double* s = prefix.data();
    double best = std::numeric_limits<double>::infinity();
    std::int32_t arg = first;
    for (std::int32_t i = first; i <= last; ++i) {
      const double key = b[i] - u * s[i];
      if (key < best) {
        best = key;
        arg = i;
      }
    }
    return {best + u * s[j + 1], arg};
  }

  // Fills cur[j] for j in [lo, hi], knowing the leftmost optimal start lies in [opt_lo, opt_hi].
  void solve(std::int32_t layer, std::int32_t lo, std::int32_t hi, std::int32_t opt_lo,
             std::int32_t opt_hi, std::int32_t prev_hi) {
    while (lo <= hi) {
      const std::int32_t mid = lo + (hi - lo) / 2;
      // Also opt(k−1, j) ≤ opt(k, j) (more segments never start the last one earlier); the
      // previous layer knows j up to hi − 1, and its starts are monotone in j.
      const auto& prev_start = start[static_cast<std::size_t>(layer - 1)];
      const std::int32_t floor_k = prev_start[static_cast<std::size_t>(std::min(mid, prev_hi))];
      const auto [cost, arg] = best_start(mid, std::max(opt_lo, floor_k), std::min(mid, opt_hi));
      cur[static_cast<std::size_t>(mid)] = cost;
      start[static_cast<std::size_t>(layer)][static_cast<std::size_t>(mid)] = arg;
      solve(layer, lo, mid - 1, opt_lo, arg, prev_hi);
      lo = mid + 1;  // tail-iterate on the right half
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
    // Layer `layer` uses layer + 1 segments, so bins 0..j need j ≥ layer, and the k − 1 − layer
    // segments still to come need a bin each: j ≤ B − k + layer. The last layer only needs B − 1.
    const std::int32_t lo = layer + 1 == k ? bins - 1 : layer;
    const std::int32_t hi = bins - k + layer;
    if (layer == 0) {  // one segment: it starts at bin 0
      for (std::int32_t j = lo; j <= hi; ++j) {
        dp.cur[static_cast<std::size_t>(j)] = dp.best_start(j, 0, 0).first;
        dp.start[0][static_cast<std::size_t>(j)] = 0;
      }
    } else if (divide_and_conquer) {
      dp.solve(layer, lo, hi, layer, hi, hi - 1);
    } else {
      for (std::int32_t j = lo; j <= hi; ++j) {
        const auto [cost, arg] = dp.best_start(j, layer, j);
        dp.cur[static_cast<std::size_t>(j)] = cost;
        dp.start[static_cast<std::size_t>(layer)][static_cast<std::size_t>(j)] = arg;
      }
    }
    // before[i] for the next layer = this layer's cost of bins 0..i−1.
    for (std::int32_t i = lo + 1; i <= hi + 1 && i < bins; ++i)
      dp.before[static_cast<std::size_t>(i)] = dp.cur[static_cast<std::size_t>(i - 1)];
  }
  Partition out;
  out.cost = dp.cur[static_cast<std::size_t>(bins - 1)];
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
