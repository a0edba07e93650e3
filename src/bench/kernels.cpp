#include "bench/kernels.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <numeric>
#include <random>

#include "bench/scattered_layout.h"
#include "model/cpu/attention.h"
#include "model/cpu/bf16.h"
#include "model/cpu/mapped_buffer.h"
#include "model/cpu/thread_pool.h"
#include "model/kv_storage.h"

namespace odma::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Best seconds per call of `fn` over repetitions filling about `budget` seconds (at least 3).
template <typename F>
double best_seconds(F&& fn, double budget) {
  fn();  // warm-up: pages committed, caches in a steady state
  double best = 1e30, spent = 0.0;
  for (int rep = 0; rep < 3 || spent < budget; ++rep) {
    const auto t0 = Clock::now();
    fn();
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    best = std::min(best, s);
    spent += s;
    if (rep > 1000) break;
  }
  return best;
}

double read_gbps(const float* buf, std::size_t n, double seconds) {
  return measure_read_gbps({{buf, n}}, seconds);
}

// If `arena_read` is given, it receives the sequential read bandwidth of this very arena, measured
// just before the kernel: same pages, same moment, so the ratio is not at the mercy of drift in
// a shared machine's bandwidth between two probes.
double attention_gbps(const KernelBenchOptions& o, int layout, int batch, int ctx,
                      double* arena_read = nullptr) {
  // K and V of every token (INT8: values and the rows' scales), the bytes attention reads.
  const std::int64_t per_layer = std::int64_t{batch} * ctx *
                                 static_cast<std::int64_t>(model::KvStorage::slot_bytes(
                                     1, o.kv_heads, o.head_dim, o.kv_dtype));
  const int layers =
      static_cast<int>(std::clamp<std::int64_t>(o.working_set_bytes / per_layer, 1, 64));
  const std::int64_t capacity = std::int64_t{batch} * ctx;
  model::KvStorage st(layers, o.kv_heads, o.head_dim, capacity, o.kv_dtype);
  for (int l = 0; l < layers; ++l)
    for (int kv = 0; kv < 2; ++kv)
      for (int h = 0; h < o.kv_heads; ++h) {
        const std::size_t n = static_cast<std::size_t>(capacity * o.head_dim);
        if (o.kv_dtype == model::DType::kBF16) {
          std::fill_n(st.plane_bf16(l, kv, h), n, model::cpu::to_bf16(0.01f));
        } else if (o.kv_dtype == model::DType::kI8) {
          std::fill_n(st.plane_i8(l, kv, h), n, std::int8_t{127});
          std::fill_n(st.scales(l, kv, h), capacity, 0.01f / 127.0f);
        } else {
          std::fill_n(st.plane(l, kv, h), n, 0.01f);
        }
      }
  const std::vector<model::SeqKv> seqs = scattered_layout(batch, ctx, layout);
  std::vector<float> q(static_cast<std::size_t>(batch) * o.heads * o.head_dim, 0.05f),
      out(q.size());
  std::vector<model::AttentionItem> items;
  for (int b = 0; b < batch; ++b) {
    const std::size_t off = static_cast<std::size_t>(b) * o.heads * o.head_dim;
    items.push_back(
        {q.data() + off, out.data() + off, 1, ctx - 1, &seqs[static_cast<std::size_t>(b)]});
  }
  if (arena_read != nullptr)
    *arena_read = measure_read_gbps({{st.plane_bytes(0, 0, 0), st.bytes()}}, o.seconds_per_case);
  model::cpu::ThreadPool& pool = model::cpu::ThreadPool::shared();
  const double s = best_seconds(
      [&] {
        for (int l = 0; l < layers; ++l) model::cpu::attention(st, l, o.heads, items, pool);
      },
      o.seconds_per_case);
  return static_cast<double>(per_layer * layers) / s / 1e9;
}

}  // namespace

double measure_read_gbps(const std::vector<std::pair<const std::byte*, std::size_t>>& spans,
                         double seconds) {
  // Pieces of ~256 KiB (whole spans if smaller), claimed by the pool in address order. Read as
  // 32-bit integers: the bytes may be BF16 pairs or floats, and integer adds have no slow inputs
  // (a float sum over arbitrary bits would meet denormals).
  constexpr std::size_t kPiece = std::size_t{64} << 10;  // words
  std::vector<std::pair<const std::uint32_t*, std::size_t>> pieces;
  std::size_t total = 0;
  for (const auto& [data, bytes] : spans) {
    const auto* words = reinterpret_cast<const std::uint32_t*>(data);
    const std::size_t n = bytes / sizeof(std::uint32_t);
    for (std::size_t i = 0; i < n; i += kPiece)
      pieces.emplace_back(words + i, std::min(kPiece, n - i));
    total += n;
  }
  if (pieces.empty()) return 0.0;
  model::cpu::ThreadPool& pool = model::cpu::ThreadPool::shared();
  std::vector<std::uint32_t> partial(pieces.size());
  volatile std::uint32_t sink = 0;
  const double s = best_seconds(
      [&] {
        pool.parallel_for(static_cast<int>(pieces.size()), [&](int c) {
          const auto [p, n] = pieces[static_cast<std::size_t>(c)];
          // 64 independent sums (4 vector chains): the loop is bound by memory, not add latency.
          std::uint32_t acc[64] = {};
          std::size_t i = 0;
          for (; i + 64 <= n; i += 64)
            for (int j = 0; j < 64; ++j) acc[j] += p[i + static_cast<std::size_t>(j)];
          for (; i < n; ++i) acc[0] += p[i];
          partial[static_cast<std::size_t>(c)] = std::accumulate(acc, acc + 64, 0u);
        });
        sink = sink + partial[0];
      },
      seconds);
  return static_cast<double>(total * sizeof(std::uint32_t)) / s / 1e9;
}

double measure_read_gbps(const std::vector<std::pair<const float*, std::size_t>>& spans,
                         double seconds) {
  std::vector<std::pair<const std::byte*, std::size_t>> bytes;
  for (const auto& [data, n] : spans)
    bytes.emplace_back(reinterpret_cast<const std::byte*>(data), n * sizeof(float));
  return measure_read_gbps(bytes, seconds);
}

double measure_sequential_read(std::int64_t bytes, double seconds) {
  const std::size_t n = static_cast<std::size_t>(bytes / 4);
  model::cpu::MappedBuffer mem(n * sizeof(float));  // the same kind of memory as the KV arena
  float* buf = static_cast<float*>(mem.data());
  std::fill_n(buf, n, 1.0f);
  return read_gbps(buf, n, seconds);
}

KernelBenchResult run_kernel_bench(const KernelBenchOptions& o) {
  KernelBenchResult r;
  r.sequential_read_gbps = measure_sequential_read(o.working_set_bytes, o.seconds_per_case);
  for (int batch : o.batches) {
    for (int ctx : o.contexts) {
      KernelCase c{batch, ctx, 0, 0, 0, 0};
      c.contiguous_gbps = attention_gbps(o, 0, batch, ctx, &c.read_gbps);
      r.sequential_read_gbps = std::max(r.sequential_read_gbps, c.read_gbps);
      c.paged16_gbps = attention_gbps(o, 16, batch, ctx);
      c.paged1_gbps = attention_gbps(o, 1, batch, ctx);
      r.cases.push_back(c);
    }
  }
  return r;
}

}  // namespace odma::bench
