// How fast `odma simulate` runs: 100,000 Alpaca-distributed requests (offline) through one policy
// on the mlu370-x4 profile with the R1-7B shape, oracle predictions. Target: ≤ 10 s per policy on
// one core. Run: build-sim/bench/odma_bench_sim --benchmark_min_time=1x (or ODMA_BENCH_REQUESTS=N).
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "sim/simulator.h"
#include "workload/workload.h"

namespace {

using namespace odma;

const workload::Trace& trace() {
  static const workload::Trace t = [] {
    const char* env = std::getenv("ODMA_BENCH_REQUESTS");
    const std::size_t n = env != nullptr ? std::strtoull(env, nullptr, 10) : 100000;
    return workload::make_mixture({{"alpaca", 1.0}}, n, std::nullopt, 1);
  }();
  return t;
}

void BM_Simulate(benchmark::State& state, const char* policy) {
  const workload::Trace& t = trace();
  std::vector<kv::LengthPrediction> pred;
  for (const auto& r : t.requests) pred.push_back({r.output_tokens, 0.0, r.output_tokens});
  const sim::CostModel cost(sim::load_device_profile("mlu370-x4"),
                            sim::load_model_shape("r1-7b-shape"));
  sim::SimOptions opt;
  opt.session.kv.capacity_tokens = sim::kv_capacity_tokens(cost.device(), cost.shape());
  opt.session.kv.max_model_len = 4096;
  opt.session.max_output_tokens = 2048;
  opt.sample_every = 0;
  sim::SimResult r;
  for (auto _ : state) {
    r = sim::simulate(t, pred, policy, cost, opt);
    benchmark::DoNotOptimize(r.tps);
  }
  state.counters["requests"] = static_cast<double>(t.requests.size());
  state.counters["steps"] = static_cast<double>(r.kv.steps);
  state.counters["completed"] = static_cast<double>(r.kv.completed);
  state.counters["failed"] = static_cast<double>(r.kv.counters.failed_requests);
  state.counters["requests_per_wall_s"] = benchmark::Counter(
      static_cast<double>(t.requests.size()), benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK_CAPTURE(BM_Simulate, static, "static")->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK_CAPTURE(BM_Simulate, paged, "paged")->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK_CAPTURE(BM_Simulate, s3, "s3")->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK_CAPTURE(BM_Simulate, odma, "odma")->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK_CAPTURE(BM_Simulate, oracle, "oracle")->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
