// Summary statistics of a sample, with numpy's defaults, so that every latency figure odma prints
// (engine, simulator, load generator) is computed the way vLLM's benchmark computes it:
//   quantile q   linear interpolation between order statistics: x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] −
//   x[⌊h⌋])
//                at h = q·(n − 1) (numpy.percentile's "linear")
//   mean, stddev population (ddof = 0, numpy.std)
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace odma {

struct QuantileSummary {
  std::int64_t count = 0;
  double mean = 0, stddev = 0;
  double p50 = 0, p90 = 0, p99 = 0;  // all zero when the sample is empty
};

// q in [0, 1] of an ascending sample (0 when empty).
double quantile_sorted(std::span<const double> sorted, double q);

QuantileSummary summarize(std::vector<double> values);

}  // namespace odma
