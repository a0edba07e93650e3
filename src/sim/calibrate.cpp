#include "sim/calibrate.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "base/error.h"

namespace odma::sim {

namespace {

// CPU time of this thread, not wall time: on a shared machine the probe may be descheduled, and
// time spent stalled on memory still counts as this thread's CPU time.
double thread_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Keeps a result alive so the compiler cannot drop the reads.
volatile std::uint64_t g_sink = 0;

double sequential_read_s(const std::vector<std::uint64_t>& buf) {
  const double t0 = thread_seconds();
  std::uint64_t a = 0, b = 0, c = 0, d = 0;
  for (std::size_t i = 0; i + 4 <= buf.size(); i += 4) {
    a += buf[i];
    b += buf[i + 1];
    c += buf[i + 2];
    d += buf[i + 3];
  }
  double s = thread_seconds() - t0;
  g_sink = g_sink + a + b + c + d;
  return s;
}

// Reads `count` chunks of `chunk_words` 8-byte words at random chunk-aligned places.
double random_read_s(const std::vector<std::uint64_t>& buf, std::size_t chunk_words,
                     std::size_t count, std::uint64_t seed) {
  const std::size_t mask = buf.size() / chunk_words - 1;  // sizes are powers of two
  std::uint64_t x = seed | 1, a = 0, b = 0;
  const double t0 = thread_seconds();
  for (std::size_t k = 0; k < count; ++k) {
    x ^= x << 13;  // xorshift64: cheap, in registers
    x ^= x >> 7;
    x ^= x << 17;
    const std::uint64_t* p = buf.data() + (x & mask) * chunk_words;
    std::size_t i = 0;
    for (; i + 2 <= chunk_words; i += 2) {
      a += p[i];
      b += p[i + 1];
    }
    if (i < chunk_words) a += p[i];
  }
  double s = thread_seconds() - t0;
  g_sink = g_sink + a + b;
  return s;
}

// A cache-blocked single-precision matmul; a lower bound on the machine's matmul rate.
double matmul_flops_per_s() {
  constexpr int n = 192;
  std::vector<float> A(n * n, 1.0f), B(n * n, 0.5f), C(n * n, 0.0f);
  int reps = 0;
  const double t0 = thread_seconds();
  do {
    for (int i = 0; i < n; ++i) {
      float* c = &C[static_cast<std::size_t>(i) * n];
      for (int k = 0; k < n; ++k) {
        const float aik = A[static_cast<std::size_t>(i) * n + k];
        const float* brow = &B[static_cast<std::size_t>(k) * n];
        for (int j = 0; j < n; ++j) c[j] += aik * brow[j];
      }
    }
    ++reps;
  } while (thread_seconds() - t0 < 0.3);
  double s = thread_seconds() - t0;
  g_sink = g_sink + static_cast<std::uint64_t>(C[7]);
  return 2.0 * n * n * n * reps / s;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown CPU";
}

}  // namespace

CalibrationReport calibrate_this_machine(const CalibrationOptions& options) {
  if (options.buffer_bytes < (std::size_t{8} << 20))
    throw Error("calibrate: buffer must be >= 8 MiB");
  if (options.repetitions < 1) throw Error("calibrate: repetitions must be >= 1");
  CalibrationReport rep;
  std::vector<std::uint64_t> buf(options.buffer_bytes / 8);
  for (std::size_t i = 0; i < buf.size(); ++i) buf[i] = i;  // fault every page in before timing

  double seq_s = 1e30;
  for (int r = 0; r < options.repetitions; ++r) seq_s = std::min(seq_s, sequential_read_s(buf));
  const double bytes = static_cast<double>(buf.size() * 8);
  char line[200];

  DeviceProfile& p = rep.profile;
  double running_max = 0;
  for (std::size_t chunk = 16; chunk <= (std::size_t{1} << 20); chunk *= 4) {
    const std::size_t words = chunk / 8;
    const std::size_t count = std::max<std::size_t>(1, options.bytes_per_point / chunk);
    // Sequential passes interleaved with the random ones, so a change in machine load between
    // points does not masquerade as a change in α.
    double best = 1e30, seq_best = 1e30;
    for (int r = 0; r < options.repetitions; ++r) {
      best = std::min(best, random_read_s(buf, words, count, 0x9E3779B97F4A7C15ULL + chunk + r));
      seq_best = std::min(seq_best, sequential_read_s(buf));
    }
    seq_s = std::min(seq_s, seq_best);
    const double bw = static_cast<double>(count * chunk) / best;
    const double raw = bw / (bytes / seq_best);
    running_max = std::min(1.0, std::max(running_max, raw));
    p.alpha_curve.push_back({static_cast<double>(chunk), running_max});
    std::snprintf(line, sizeof line, "random %7zu B chunks: %6.2f GB/s  alpha %.3f (raw %.3f)\n",
                  chunk, bw / 1e9, running_max, raw);
    rep.log += line;
  }
  const double seq_bw = bytes / seq_s;
  std::snprintf(line, sizeof line, "sequential read: %.2f GB/s (%zu MiB buffer, one thread)\n",
                seq_bw / 1e9, options.buffer_bytes >> 20);
  rep.log += line;
  const double flops = matmul_flops_per_s();
  std::snprintf(line, sizeof line, "matmul (naive fp32, one thread): %.1f GFLOP/s\n", flops / 1e9);
  rep.log += line;

  const std::string when = profile_timestamp();
  const std::string cpu = cpu_model();
  p.name = options.name;
  p.description = "this machine (" + cpu + "), measured by `odma simulate --calibrate` on " + when;
  p.memory_bytes =
      static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
  p.bandwidth_bytes_per_s = seq_bw;
  p.flops_per_s = flops;
  p.step_overhead_s = 0.0005;
  p.reserved_memory_fraction = 0.2;
  const std::string probe =
      "measured by `odma simulate --calibrate` on " + when + " (" + cpu + ", one thread)";
  p.sources["memory_bytes"] = "sysconf(_SC_PHYS_PAGES) × page size on " + when;
  p.sources["bandwidth_bytes_per_s"] = "sequential 8-byte reads of a " +
                                       std::to_string(options.buffer_bytes >> 20) +
                                       " MiB buffer, " + probe;
  p.sources["alpha_curve"] = "random chunk-aligned reads ÷ sequential, best of " +
                             std::to_string(options.repetitions) + ", made monotone; " + probe;
  p.sources["flops_per_s"] = "naive blocked fp32 matmul (a lower bound; no BLAS), " + probe;
  p.sources["step_overhead_s"] = "assumed 0.5 ms (scheduler + sampling on the host), not measured";
  p.sources["reserved_memory_fraction"] = "assumed 20% for the OS and other processes";
  validate_device_profile(p, "calibration");
  return rep;
}

}  // namespace odma::sim
