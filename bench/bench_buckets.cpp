// Adaptive buckets: recalibration time (the optimal-partition DP), observe() and reserve_for()
// cost, and how fast the edges follow a 4× length shift.
//   build*/bench/odma_bench_buckets --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "kv/adaptive_buckets.h"
#include "kv/bucket_partition.h"

namespace {

using odma::kv::AdaptiveBuckets;
using odma::kv::AdaptiveBucketsConfig;

std::vector<std::int32_t> lognormal_lengths(std::size_t n, double mean, std::uint32_t seed) {
  std::mt19937 rng(seed);
  const double sigma = 0.8;
  std::lognormal_distribution<double> d(std::log(mean) - sigma * sigma / 2, sigma);
  std::vector<std::int32_t> out(n);
  for (auto& x : out) x = static_cast<std::int32_t>(std::lround(d(rng)));
  return out;
}

AdaptiveBucketsConfig config(std::int32_t max_length, std::int32_t granule, std::int32_t k,
                             std::int32_t every) {
  AdaptiveBucketsConfig c;
  c.max_length = max_length;
  c.granule = granule;
  c.buckets = k;
  c.recalibrate_every = every;
  return c;
}

// One recalibration: copy the histogram, D&C DP, edges, drift reference. Args: bins, K.
void BM_Recalibrate(benchmark::State& state) {
  const auto bins = static_cast<std::int32_t>(state.range(0));
  const auto k = static_cast<std::int32_t>(state.range(1));
  AdaptiveBuckets b(config(bins, 1, k, 1 << 30));  // granule 1: `bins` histogram bins
  for (std::int32_t len : lognormal_lengths(20000, bins / 8.0, 1)) (void)b.observe(len);
  for (auto _ : state) {
    b.recalibrate();
    benchmark::DoNotOptimize(b.edges().data());
  }
  state.counters["bins"] = bins;
  state.counters["K"] = k;
}
BENCHMARK(BM_Recalibrate)
    ->Args({2048, 16})
    ->Args({2048, 8})
    ->Args({2048, 32})
    ->Args({128, 16})
    ->Args({8192, 16})
    ->Unit(benchmark::kMicrosecond);

// The partition DP alone, divide & conquer vs the plain O(K·B²) reference.
void BM_Partition(benchmark::State& state) {
  const bool quadratic = state.range(0) != 0;
  const std::int32_t bins = 2048;
  std::vector<double> mass(bins, 0.0);
  for (std::int32_t len : lognormal_lengths(20000, 256, 2))
    mass[static_cast<std::size_t>(std::clamp(len, 1, bins) - 1)] += 1;
  std::vector<std::int32_t> upper(bins);
  for (std::int32_t b = 0; b < bins; ++b) upper[static_cast<std::size_t>(b)] = b + 1;
  for (auto _ : state) {
    auto p = quadratic ? odma::kv::optimal_partition_quadratic(mass, upper, 16)
                       : odma::kv::optimal_partition(mass, upper, 16);
    benchmark::DoNotOptimize(p.cost);
  }
  state.SetLabel(quadratic ? "plain O(K·B²)" : "divide & conquer");
}
BENCHMARK(BM_Partition)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// observe(): histogram update + drift check, with the scheduled recalibrations amortised in
// (arg 1) or never due (arg 0). Default production shape: 2048 / granule 16 = 128 bins, K 16.
void BM_Observe(benchmark::State& state) {
  const bool recalibrate = state.range(0) != 0;
  AdaptiveBuckets b(config(2048, 16, 16, recalibrate ? 256 : (1 << 30)));
  const auto lengths = lognormal_lengths(1 << 16, 200, 3);
  for (std::int32_t len : lengths) (void)b.observe(len);  // warm: a fitted reference
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(b.observe(lengths[i]));
    i = (i + 1) & (lengths.size() - 1);
  }
  state.SetLabel(recalibrate ? "every 256 (amortised)" : "no recalibration");
}
BENCHMARK(BM_Observe)->Arg(0)->Arg(1);

void BM_ReserveFor(benchmark::State& state) {
  AdaptiveBuckets b(config(2048, 16, 16, 256));
  const auto lengths = lognormal_lengths(1 << 16, 200, 4);
  for (std::int32_t len : lengths) (void)b.observe(len);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(b.reserve_for(lengths[i]));
    i = (i + 1) & (lengths.size() - 1);
  }
}
BENCHMARK(BM_ReserveFor);

// Drift following: 5,000 lengths at mean 100, then mean 400 (σ 0.8). Counters: completions after
// the shift until drift was flagged, until the median edge passed the new median (290), and the
// expected waste (slots/request) under the new distribution before, after 512, and optimal.
void BM_DriftFollow(benchmark::State& state) {
  const auto seed = static_cast<std::uint32_t>(state.range(0));
  double detected = -1, passed = -1, waste_before = 0, waste_512 = 0, waste_opt = 0;
  for (auto _ : state) {
    const AdaptiveBucketsConfig c;
    odma::kv::LengthHistogram truth(c.max_length, c.granule, 1e300);
    for (std::int32_t len : lognormal_lengths(100000, 400, seed + 1000)) truth.add(len);
    std::vector<std::int32_t> upper, best;
    for (std::int32_t b = 0; b < truth.bins(); ++b) upper.push_back(truth.upper(b));
    for (std::int32_t end : odma::kv::optimal_partition(truth.masses(), upper, c.buckets).ends)
      best.push_back(upper[static_cast<std::size_t>(end)]);
    waste_opt = truth.expected_waste(best);

    AdaptiveBuckets b(c);
    for (std::int32_t len : lognormal_lengths(5000, 100, seed)) (void)b.observe(len);
    waste_before = truth.expected_waste(b.edges());
    const auto after = lognormal_lengths(512, 400, seed + 1);
    detected = passed = -1;
    for (std::size_t t = 0; t < after.size(); ++t) {
      (void)b.observe(after[t]);
      if (detected < 0 && b.drift_recalibrations() > 0) detected = static_cast<double>(t + 1);
      if (passed < 0 && b.edges()[7] >= 400 * std::exp(-0.32)) passed = static_cast<double>(t + 1);
    }
    waste_512 = truth.expected_waste(b.edges());
  }
  state.counters["detected_after"] = detected;
  state.counters["median_edge_after"] = passed;
  state.counters["waste_before"] = waste_before;
  state.counters["waste_512"] = waste_512;
  state.counters["waste_opt"] = waste_opt;
}
BENCHMARK(BM_DriftFollow)->DenseRange(1, 5)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
