#include "predict/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "base/error.h"

namespace odma::predict {
namespace {

template <typename A, typename B>
void check_sizes(const A& a, const B& b, const char* metric) {
  if (a.empty()) throw Error(std::string(metric) + ": no data");
  if (a.size() != b.size())
    throw Error(std::string(metric) + ": size mismatch (" + std::to_string(a.size()) + " vs " +
                std::to_string(b.size()) + ")");
}

// Pairs tied within runs of equal values in sorted order: Σ t(t−1)/2.
template <typename Eq>
std::int64_t tied_pairs(std::size_t n, Eq eq) {
  std::int64_t pairs = 0, run = 1;
  for (std::size_t i = 1; i <= n; ++i) {
    if (i < n && eq(i - 1, i)) {
      ++run;
    } else {
      pairs += run * (run - 1) / 2;
      run = 1;
    }
  }
  return pairs;
}

// Merge sort of y counting swaps (= discordant pairs among x-sorted, x-untied order).
std::int64_t merge_count(std::vector<double>& y, std::vector<double>& tmp, std::size_t lo,
                         std::size_t hi) {
  if (hi - lo < 2) return 0;
  std::size_t mid = lo + (hi - lo) / 2;
  std::int64_t swaps = merge_count(y, tmp, lo, mid) + merge_count(y, tmp, mid, hi);
  std::size_t i = lo, j = mid, k = lo;
  while (i < mid && j < hi) {
    if (y[j] < y[i]) {
      swaps += static_cast<std::int64_t>(mid - i);
      tmp[k++] = y[j++];
    } else {
      tmp[k++] = y[i++];
    }
  }
  while (i < mid) tmp[k++] = y[i++];
  while (j < hi) tmp[k++] = y[j++];
  std::copy(tmp.begin() + static_cast<std::ptrdiff_t>(lo),
            tmp.begin() + static_cast<std::ptrdiff_t>(hi),
            y.begin() + static_cast<std::ptrdiff_t>(lo));
  return swaps;
}

}  // namespace

std::int32_t bucket_of(const std::vector<std::int32_t>& upper, std::int32_t length) {
  if (upper.empty()) throw Error("bucket_of: no buckets");
  auto it = std::lower_bound(upper.begin(), upper.end(), length);
  if (it == upper.end()) --it;
  return static_cast<std::int32_t>(it - upper.begin());
}

double bucket_accuracy(const std::vector<std::int32_t>& t, const std::vector<std::int32_t>& p) {
  check_sizes(t, p, "bucket accuracy");
  std::size_t hits = 0;
  for (std::size_t i = 0; i < t.size(); ++i) hits += t[i] == p[i];
  return static_cast<double>(hits) / static_cast<double>(t.size());
}

double mean_absolute_error(const std::vector<std::int32_t>& t, const std::vector<double>& p) {
  check_sizes(t, p, "MAE");
  double sum = 0;
  for (std::size_t i = 0; i < t.size(); ++i) sum += std::fabs(p[i] - t[i]);
  return sum / static_cast<double>(t.size());
}

double coverage(const std::vector<std::int32_t>& t, const std::vector<std::int32_t>& r) {
  check_sizes(t, r, "coverage");
  std::size_t covered = 0;
  for (std::size_t i = 0; i < t.size(); ++i) covered += t[i] <= r[i];
  return static_cast<double>(covered) / static_cast<double>(t.size());
}

double mean_over_reservation(const std::vector<std::int32_t>& t,
                             const std::vector<std::int32_t>& r) {
  check_sizes(t, r, "over-reservation");
  double sum = 0;
  for (std::size_t i = 0; i < t.size(); ++i) sum += std::max(0, r[i] - t[i]);
  return sum / static_cast<double>(t.size());
}

double kendall_tau(const std::vector<double>& x, const std::vector<double>& y) {
  check_sizes(x, y, "Kendall tau");
  const std::size_t n = x.size();
  std::vector<std::size_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(),
            [&](std::size_t a, std::size_t b) { return x[a] != x[b] ? x[a] < x[b] : y[a] < y[b]; });
  std::vector<double> xs(n), ys(n);
  for (std::size_t i = 0; i < n; ++i) {
    xs[i] = x[idx[i]];
    ys[i] = y[idx[i]];
  }
  const auto n0 = static_cast<std::int64_t>(n) * static_cast<std::int64_t>(n - 1) / 2;
  const std::int64_t n1 =
      tied_pairs(n, [&](std::size_t a, std::size_t b) { return xs[a] == xs[b]; });
  const std::int64_t n3 =
      tied_pairs(n, [&](std::size_t a, std::size_t b) { return xs[a] == xs[b] && ys[a] == ys[b]; });
  std::vector<double> tmp(n);
  const std::int64_t swaps = merge_count(ys, tmp, 0, n);  // ys is now sorted
  const std::int64_t n2 =
      tied_pairs(n, [&](std::size_t a, std::size_t b) { return ys[a] == ys[b]; });
  // Concordant − discordant = n0 − n1 − n2 + n3 − 2·swaps (Knight).
  const double num = static_cast<double>(n0 - n1 - n2 + n3 - 2 * swaps);
  const double den = std::sqrt(static_cast<double>(n0 - n1) * static_cast<double>(n0 - n2));
  return den > 0 ? num / den : 0.0;
}

double kendall_tau_reference(const std::vector<double>& x, const std::vector<double>& y) {
  check_sizes(x, y, "Kendall tau");
  std::int64_t conc = 0, disc = 0, tx = 0, ty = 0, n0 = 0;
  for (std::size_t i = 0; i < x.size(); ++i)
    for (std::size_t j = i + 1; j < x.size(); ++j) {
      ++n0;
      double a = x[i] - x[j], b = y[i] - y[j];
      if (a == 0) ++tx;
      if (b == 0) ++ty;
      if (a != 0 && b != 0) (a * b > 0 ? conc : disc)++;
    }
  double den = std::sqrt(static_cast<double>(n0 - tx) * static_cast<double>(n0 - ty));
  return den > 0 ? static_cast<double>(conc - disc) / den : 0.0;
}

}  // namespace odma::predict
