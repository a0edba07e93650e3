#include "bf16_bench_common.h"

#include <immintrin.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>

#include "model/cpu/cpu_features.h"

namespace odma::bench {
namespace {

__attribute__((target("avx512f"))) float read_avx512(const float* p, std::size_t n) {
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  for (std::size_t i = 0; i + 64 <= n; i += 64) {
    a0 = _mm512_add_ps(a0, _mm512_load_ps(p + i));
    a1 = _mm512_add_ps(a1, _mm512_load_ps(p + i + 16));
    a2 = _mm512_add_ps(a2, _mm512_load_ps(p + i + 32));
    a3 = _mm512_add_ps(a3, _mm512_load_ps(p + i + 48));
  }
  alignas(64) float out[16];
  _mm512_store_ps(out, _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
  return out[0] + out[7];
}

__attribute__((target("avx2"))) float read_avx2(const float* p, std::size_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  for (std::size_t i = 0; i + 32 <= n; i += 32) {
    a0 = _mm256_add_ps(a0, _mm256_load_ps(p + i));
    a1 = _mm256_add_ps(a1, _mm256_load_ps(p + i + 8));
    a2 = _mm256_add_ps(a2, _mm256_load_ps(p + i + 16));
    a3 = _mm256_add_ps(a3, _mm256_load_ps(p + i + 24));
  }
  alignas(32) float out[8];
  _mm256_store_ps(out, _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  return out[0] + out[5];
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

Stats stats_of(const std::vector<double>& v) {
  Stats s;
  if (v.empty()) return s;
  s.n = static_cast<int>(v.size());
  s.median = median_of(v);
  s.min = *std::min_element(v.begin(), v.end());
  s.max = *std::max_element(v.begin(), v.end());
  return s;
}

}  // namespace

bool cpu_time_mode() {
  static const bool on = [] {
    const char* e = std::getenv("ODMA_BENCH_CPU_TIME");
    return e != nullptr && std::strcmp(e, "1") == 0;
  }();
  return on;
}

benchmark::internal::Benchmark* configure(benchmark::internal::Benchmark* b,
                                          benchmark::TimeUnit unit) {
  b->Unit(unit);
  return cpu_time_mode() ? b : b->UseRealTime();
}

const char* time_suffix() {
  return cpu_time_mode() ? "" : "/real_time";
}

model::cpu::ThreadPool& bench_pool() {
  static model::cpu::ThreadPool p([] {
    const char* e = std::getenv("ODMA_THREADS");
    return e != nullptr && std::atoi(e) > 0 ? std::atoi(e) : 2;
  }());
  return p;
}

std::size_t l3_bytes() {
  std::ifstream f("/sys/devices/system/cpu/cpu0/cache/index3/size");
  std::string s;
  if (!(f >> s) || s.empty()) return 0;
  std::size_t v = std::strtoull(s.c_str(), nullptr, 10);
  const char unit = s.back();
  if (unit == 'K') v <<= 10;
  if (unit == 'M') v <<= 20;
  return v;
}

Buffer::Buffer(std::size_t bytes) : size(bytes) {
  const std::size_t huge = std::size_t{2} << 20;
  const std::size_t rounded = (bytes + huge - 1) / huge * huge;
  data = std::aligned_alloc(huge, rounded);
  if (data == nullptr) throw std::bad_alloc();
  (void)madvise(data, rounded, MADV_HUGEPAGE);
  std::memset(data, 0, rounded);
}

Buffer::~Buffer() {
  std::free(data);
}

float sequential_read(const void* p, std::size_t bytes, model::cpu::ThreadPool& pool) {
  const int chunks = 64;
  const std::size_t n = bytes / sizeof(float) / chunks / 64 * 64;
  const bool avx512 = model::cpu::isa_supported(model::cpu::Isa::kAvx512);
  std::vector<float> partial(chunks);
  pool.parallel_for(chunks, [&](int c) {
    const float* q = static_cast<const float*>(p) + n * static_cast<std::size_t>(c);
    partial[static_cast<std::size_t>(c)] = avx512 ? read_avx512(q, n) : read_avx2(q, n);
  });
  float s = 0;
  for (float x : partial) s += x;
  return s;
}

void register_read_probe(std::size_t bytes, model::cpu::ThreadPool& pool) {
  const std::string name = "BM_ReadProbe/MiB:" + std::to_string(bytes >> 20);
  auto* b = benchmark::RegisterBenchmark(name.c_str(), [bytes, &pool](benchmark::State& state) {
    static Buffer* buf = nullptr;
    if (buf == nullptr || buf->size != bytes) {
      delete buf;
      buf = new Buffer(bytes);
      std::memset(buf->data, 1, bytes);
    }
    for (auto _ : state) benchmark::DoNotOptimize(sequential_read(buf->data, bytes, pool));
    state.counters["bytes"] = static_cast<double>(bytes / sizeof(float) / 64 / 64 * 64 * 64 * 4);
    state.counters["flops"] = 0;
    state.counters["threads"] = pool.threads();
  });
  configure(b, benchmark::kMillisecond);
}

void CollectingReporter::ReportRuns(const std::vector<Run>& runs) {
  for (const Run& r : runs) {
    if (r.run_type != Run::RT_Iteration || r.iterations == 0 || r.error_occurred) continue;
    Series& s = series_[r.run_name.str()];
    const double t = cpu_time_mode() ? r.cpu_accumulated_time : r.real_accumulated_time;
    s.seconds.push_back(t / static_cast<double>(r.iterations));
    auto b = r.counters.find("bytes");
    if (b != r.counters.end()) s.bytes = b->second.value;
    auto f = r.counters.find("flops");
    if (f != r.counters.end()) s.flops = f->second.value;
  }
  ConsoleReporter::ReportRuns(runs);
}

const CollectingReporter::Series* CollectingReporter::find(const std::string& name) const {
  auto it = series_.find(name);
  return it == series_.end() ? nullptr : &it->second;
}

Stats CollectingReporter::gbps(const std::string& name) const {
  const Series* s = find(name);
  if (s == nullptr) return {};
  std::vector<double> v;
  for (double t : s->seconds) v.push_back(s->bytes / t / 1e9);
  return stats_of(v);
}

Stats CollectingReporter::gflops(const std::string& name) const {
  const Series* s = find(name);
  if (s == nullptr) return {};
  std::vector<double> v;
  for (double t : s->seconds) v.push_back(s->flops / t / 1e9);
  return stats_of(v);
}

Stats CollectingReporter::seconds(const std::string& name) const {
  const Series* s = find(name);
  return s == nullptr ? Stats{} : stats_of(s->seconds);
}

Stats CollectingReporter::time_ratio(const std::string& a, const std::string& b) const {
  const Series* x = find(a);
  const Series* y = find(b);
  if (x == nullptr || y == nullptr) return {};
  std::vector<double> v;
  for (std::size_t i = 0; i < std::min(x->seconds.size(), y->seconds.size()); ++i)
    v.push_back(x->seconds[i] / y->seconds[i]);
  return stats_of(v);
}

std::string fmt(const Stats& s, int precision) {
  if (s.n == 0) return "—";
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.*f (%.*f–%.*f)", precision, s.median, precision, s.min,
                precision, s.max);
  return buf;
}

int run_benchmarks(int argc, char** argv, CollectingReporter& reporter) {
  std::vector<char*> args(argv, argv + argc);
  bool reps = false, min_time = false;
  for (int i = 1; i < argc; ++i) {
    reps = reps || std::strncmp(argv[i], "--benchmark_repetitions", 23) == 0;
    min_time = min_time || std::strncmp(argv[i], "--benchmark_min_time", 20) == 0;
  }
  static char r5[] = "--benchmark_repetitions=5";
  static char mt[] = "--benchmark_min_time=0.2";
  static char ri[] = "--benchmark_enable_random_interleaving=true";
  if (!reps) args.push_back(r5);
  if (!min_time) args.push_back(mt);
  bool interleave_given = false;
  for (int i = 1; i < argc; ++i)
    interleave_given = interleave_given ||
                       std::strncmp(argv[i], "--benchmark_enable_random_interleaving", 38) == 0;
  if (!interleave_given) args.push_back(ri);
  int n = static_cast<int>(args.size());
  args.push_back(nullptr);
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  return 0;
}

}  // namespace odma::bench
