// Shared pieces of the bench_bf16_* programs: the machine's L3 size, a sequential-read probe run
// by the same thread pool as the kernels, and a reporter that keeps every repetition so the
// summary tables print medians with their min–max.
//
// Every benchmark publishes two plain counters: "bytes" (bytes it reads per iteration: weights,
// or K + V) and "flops" (floating-point operations per iteration, 0 if not meaningful).
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "model/cpu/thread_pool.h"

namespace odma::bench {

// /sys/devices/system/cpu/cpu0/cache/index3/size in bytes (0 if unreadable).
std::size_t l3_bytes();

// Reads [p, p + bytes) once, split in 64 chunks over `pool` (AVX-512 or AVX2 loads, chosen at run
// time); returns a value derived from the data so the reads cannot be elided.
float sequential_read(const void* p, std::size_t bytes, model::cpu::ThreadPool& pool);

// A 2 MiB-aligned, huge-page-advised, written (committed) buffer.
struct Buffer {
  explicit Buffer(std::size_t bytes);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  void* data = nullptr;
  std::size_t size = 0;
};

// $ODMA_BENCH_CPU_TIME=1: time benchmarks by the CPU time of the benchmark thread instead of wall
// time. Meant with $ODMA_THREADS=1 (the pool then runs every task on that thread): single-core
// numbers that time slices taken by other processes on a shared machine do not distort.
bool cpu_time_mode();
// Unit and time base for a registered benchmark; the suffix Google Benchmark then adds to its name.
benchmark::internal::Benchmark* configure(benchmark::internal::Benchmark* b,
                                          benchmark::TimeUnit unit);
const char* time_suffix();  // "/real_time" or ""
// ThreadPool($ODMA_THREADS, default 2).
model::cpu::ThreadPool& bench_pool();

// Registers BM_ReadProbe/<MiB> (sequential read of `bytes` by `pool`).
void register_read_probe(std::size_t bytes, model::cpu::ThreadPool& pool);

struct Stats {
  double median = 0, min = 0, max = 0;  // of the per-repetition values
  int n = 0;
};

class CollectingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override;
  // Per-repetition seconds per iteration, bytes and flops per iteration, by benchmark name (the
  // name without the aggregate suffix).
  struct Series {
    std::vector<double> seconds;
    double bytes = 0, flops = 0;
  };
  const Series* find(const std::string& name) const;
  // GB/s (bytes / s / 1e9) and GFLOP/s over repetitions; seconds (per iteration) too.
  Stats gbps(const std::string& name) const;
  Stats gflops(const std::string& name) const;
  Stats seconds(const std::string& name) const;
  // Ratio of two series' times, repetition by repetition (a / b).
  Stats time_ratio(const std::string& a, const std::string& b) const;

 private:
  std::map<std::string, Series> series_;
};

// "12.3 (11.9–12.8)"; "—" when n == 0.
std::string fmt(const Stats& s, int precision = 1);

// Runs the registered benchmarks with `reporter` after benchmark::Initialize (adds
// --benchmark_repetitions=5, --benchmark_min_time=0.2 and
// --benchmark_enable_random_interleaving=true unless given: repetitions of all benchmarks run in
// random order, so a slow phase of the shared machine does not land on one benchmark only).
int run_benchmarks(int argc, char** argv, CollectingReporter& reporter);

}  // namespace odma::bench
