// KV policy operation costs at steady state with ~10,000 live requests: each benchmark times a
// batch of 256 calls of one kind (reserve = admit, grow, release, finish) and keeps the live set
// steady with the opposite calls outside the timed region. `ns_per_op` is the figure to read.
//
//   build*/bench/odma_bench_kv --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
//
// Workload: prompts 32..512 tokens, outputs 1..512 (max_output 512), predictions within ±25% of
// the truth, max_model_len 2048, granule 16, arena 2^24 slots (room for every policy's 10,000).
#include <benchmark/benchmark.h>

#include <ctime>
#include <deque>
#include <random>

#include "kv/policy.h"

namespace {

using namespace odma::kv;

// Timed regions use this thread's CPU time: the build machine is shared and oversubscribed, and
// wall time would count the periods this thread sat descheduled.
double thread_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

constexpr int kLive = 10000;
constexpr int kBatch = 256;

class SteadyState {
 public:
  explicit SteadyState(const std::string& policy) : rng_(42) {
    PolicyConfig c;
    c.capacity_tokens = std::int64_t{1} << 24;
    c.max_model_len = 2048;
    policy_ = make_policy(policy, c);
    while (static_cast<int>(live_.size()) < kLive) admit_one();
  }

  RequestSpec next_spec() {
    RequestSpec s;
    s.id = next_id_++;
    s.prompt_tokens = static_cast<std::int32_t>(32 + rng_() % 481);
    s.max_output_tokens = 512;
    const auto truth = static_cast<std::int32_t>(1 + rng_() % 512);
    s.prediction.true_output_tokens = truth;
    s.prediction.output_tokens = truth * static_cast<std::int32_t>(75 + rng_() % 51) / 100;
    s.prediction.uncertainty = static_cast<double>(rng_() % 100) / 100.0;
    return s;
  }
  void admit_one() {
    const RequestSpec s = next_spec();
    if (policy_->admit(s).status != Status::kOk) throw std::runtime_error("admission failed");
    live_.push_back(s);
  }
  // Oldest live request out.
  RequestSpec pop_oldest() {
    RequestSpec s = live_.front();
    live_.pop_front();
    return s;
  }

  Policy& policy() { return *policy_; }
  std::deque<RequestSpec>& live() { return live_; }
  std::mt19937_64& rng() { return rng_; }

 private:
  std::unique_ptr<Policy> policy_;
  std::deque<RequestSpec> live_;
  std::mt19937_64 rng_;
  RequestId next_id_ = 1;
};

void report(benchmark::State& state) {
  state.counters["ns_per_op"] = benchmark::Counter(
      kBatch, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_Reserve(benchmark::State& state, const std::string& policy) {
  SteadyState s(policy);
  std::vector<RequestSpec> specs(kBatch);
  for (auto _ : state) {
    for (auto& spec : specs) spec = s.next_spec();
    const double start = thread_seconds();
    for (const auto& spec : specs) benchmark::DoNotOptimize(s.policy().admit(spec));
    state.SetIterationTime(thread_seconds() - start);
    for (const auto& spec : specs) s.live().push_back(spec);
    for (int i = 0; i < kBatch; ++i) (void)s.policy().release(s.pop_oldest().id);
  }
  report(state);
}

void BM_Release(benchmark::State& state, const std::string& policy) {
  SteadyState s(policy);
  std::vector<RequestId> ids(kBatch);
  for (auto _ : state) {
    for (auto& id : ids) id = s.pop_oldest().id;
    const double start = thread_seconds();
    for (RequestId id : ids) benchmark::DoNotOptimize(s.policy().release(id));
    state.SetIterationTime(thread_seconds() - start);
    for (int i = 0; i < kBatch; ++i) s.admit_one();
  }
  report(state);
}

void BM_Finish(benchmark::State& state, const std::string& policy) {
  SteadyState s(policy);
  std::vector<RequestSpec> done(kBatch);
  for (auto _ : state) {
    for (auto& spec : done) spec = s.pop_oldest();
    const double start = thread_seconds();
    for (const auto& spec : done) {
      benchmark::DoNotOptimize(s.policy().finish(spec.id, spec.prediction.true_output_tokens));
    }
    state.SetIterationTime(thread_seconds() - start);
    for (int i = 0; i < kBatch; ++i) s.admit_one();
  }
  report(state);
}

// One decode step for 256 random live requests: grow by one token. A request that reaches its
// true length finishes, one that is preempted leaves, and new ones replace them (untimed).
void BM_Grow(benchmark::State& state, const std::string& policy) {
  SteadyState s(policy);
  std::vector<std::size_t> picks(kBatch);
  std::int64_t overflows = 0;
  for (auto _ : state) {
    auto& live = s.live();
    for (auto& p : picks) p = s.rng()() % live.size();
    const double start = thread_seconds();
    for (std::size_t p : picks) {
      const RequestSpec& spec = live[p];
      const Allocation* a = s.policy().allocation(spec.id);
      if (a == nullptr) continue;  // preempted earlier in this batch
      benchmark::DoNotOptimize(s.policy().grow(spec.id, a->used + 1));
    }
    state.SetIterationTime(thread_seconds() - start);
    for (std::size_t i = 0; i < live.size();) {
      const Allocation* a = s.policy().allocation(live[i].id);
      const bool done =
          a == nullptr || a->used >= live[i].prompt_tokens + live[i].prediction.true_output_tokens;
      if (!done) {
        ++i;
        continue;
      }
      if (a != nullptr) (void)s.policy().finish(live[i].id, live[i].prediction.true_output_tokens);
      live[i] = live.back();
      live.pop_back();
    }
    while (static_cast<int>(live.size()) < kLive) s.admit_one();
  }
  overflows = s.policy().counters().overflows;
  state.counters["overflows"] = static_cast<double>(overflows);
  report(state);
}

void register_all() {
  for (const std::string& p : policy_names()) {
    // 0.1 s of timed work each: the untimed refill around every batch costs several times more.
    benchmark::RegisterBenchmark(("reserve/" + p).c_str(), BM_Reserve, p)
        ->UseManualTime()
        ->MinTime(0.1);
    benchmark::RegisterBenchmark(("grow/" + p).c_str(), BM_Grow, p)->UseManualTime()->MinTime(0.1);
    benchmark::RegisterBenchmark(("release/" + p).c_str(), BM_Release, p)
        ->UseManualTime()
        ->MinTime(0.1);
    benchmark::RegisterBenchmark(("finish/" + p).c_str(), BM_Finish, p)
        ->UseManualTime()
        ->MinTime(0.1);
  }
}

const int registered = (register_all(), 0);

}  // namespace
