// `odma bench` part 1: decode-attention read bandwidth of the engine's own kernels, contiguous vs
// vLLM-style paged KV (16- and 1-token blocks at random placement), next to a sequential-read
// probe of the same machine. Same method as bench/bench_attention.cpp (which uses Google
// Benchmark), time-boxed here so it fits the one-command bench.
//
//   bytes per step = layers · batch · ctx · kv_heads · head_dim · 4 (F32) · 2 (K and V)
//   GB/s           = bytes per step ÷ seconds per step (best of the timed repetitions)
//   slowdown       = contiguous GB/s ÷ paged GB/s   (DESIGN.md's 1/α at that granularity)
//   efficiency     = contiguous GB/s ÷ sequential read GB/s of the same arena, measured just before
//                    (memory: 2 MiB transparent huge pages for both, see model/mapped_buffer.h)
#pragma once

#include "bench/stream_read.h"
#include "model/safetensors.h"  // DType

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace odma::bench {

struct KernelBenchOptions {
  int head_dim = 64;  // the `small` preset's attention shape: 2 KV heads, 8 query heads
  int kv_heads = 2;
  int heads = 8;
  std::int64_t working_set_bytes = 512LL << 20;  // K+V bytes per case; ≥ 8× a 32 MiB L3
  std::vector<int> batches{8, 32};
  std::vector<int> contexts{512, 2048};
  double seconds_per_case = 0.4;
  model::DType kv_dtype = model::DType::kF32;  // the planes' dtype (the engine's arena's)
};

struct KernelCase {
  int batch = 0;
  int ctx = 0;
  double contiguous_gbps = 0.0;
  double paged16_gbps = 0.0;
  double paged1_gbps = 0.0;
  double read_gbps = 0.0;  // sequential read of the same arena, measured just before
};

struct KernelBenchResult {
  double sequential_read_gbps = 0.0;  // best of the stand-alone probe and every case's arena read
  StreamRead stream;  // the machine's STREAM-style read (stream_read.h), when the suite measured it
  std::vector<KernelCase> cases;
};

// Sequential read bandwidth of these spans (data, floats) with the shared thread pool, in GB/s:
// best of repetitions filling about `seconds`. Reading the very bytes a kernel streams (the KV
// arena, the weights) makes the ratio immune to where the OS happened to place them: on the CI
// VM a fresh buffer reads at ~31 or ~52 GB/s depending on its physical pages.
double measure_read_gbps(const std::vector<std::pair<const float*, std::size_t>>& spans,
                         double seconds);
// The same over (bytes, size) spans: weights of any dtype (ModelWeights::spans()).
double measure_read_gbps(const std::vector<std::pair<const std::byte*, std::size_t>>& spans,
                         double seconds);

// Sequential read bandwidth of a fresh `bytes` buffer with the shared thread pool (GB/s).
double measure_sequential_read(std::int64_t bytes, double seconds);

KernelBenchResult run_kernel_bench(const KernelBenchOptions& options);

}  // namespace odma::bench
