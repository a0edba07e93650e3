// Decode-attention read bandwidth: contiguous KV vs vLLM-style paged KV (16- and 1-token blocks at
// random placement), next to a sequential-read probe of the same machine, in one run.
//
// Shape: head_dim 128, 4 KV heads, 28 query heads (GQA group 7: DeepSeek-R1-Distill-Qwen-7B),
// F32 K/V (the engine's storage). Each iteration is one decode step's attention over `layers`
// layers for `batch` sequences of `ctx` tokens; layers = min(28, ⌊1 GiB / bytes per layer⌋) so the
// working set is ≥ 8× the 32 MiB L3. Bytes counted = K + V read once: layers·batch·ctx·4·128·4·2.
// Threads: the engine's ThreadPool (hardware threads, or $ODMA_THREADS).
//
// After Google Benchmark's own table, a summary prints GB/s and the ratios DESIGN.md discusses.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <numeric>
#include <random>
#include <string>

#include "bench/scattered_layout.h"
#include "model/cpu/attention.h"

namespace {

using odma::model::AttentionItem;
using odma::model::KvStorage;
using odma::model::SeqKv;
using odma::model::cpu::ThreadPool;

constexpr int kHeadDim = 128, kKvHeads = 4, kHeads = 28, kMaxLayers = 28;
constexpr std::int64_t kMaxWorkingSet = 1LL << 30;

// layout: 0 contiguous, else paged with `layout` tokens per block.
void BM_DecodeAttention(benchmark::State& state) {
  const int layout = static_cast<int>(state.range(0));
  const int batch = static_cast<int>(state.range(1));
  const int ctx = static_cast<int>(state.range(2));
  const std::int64_t per_layer = std::int64_t{batch} * ctx * kKvHeads * kHeadDim * 4 * 2;
  const int layers =
      static_cast<int>(std::clamp<std::int64_t>(kMaxWorkingSet / per_layer, 1, kMaxLayers));
  const std::int64_t capacity = std::int64_t{batch} * ctx;
  KvStorage st(layers, kKvHeads, kHeadDim, capacity);
  for (int l = 0; l < layers; ++l)  // commit every page before timing
    for (int kv = 0; kv < 2; ++kv)
      for (int h = 0; h < kKvHeads; ++h)
        std::fill_n(st.plane(l, kv, h), capacity * kHeadDim, 0.01f);
  const std::vector<SeqKv> seqs = odma::bench::scattered_layout(batch, ctx, layout);
  std::vector<float> q(static_cast<std::size_t>(batch) * kHeads * kHeadDim, 0.05f), out(q.size());
  std::vector<AttentionItem> items;
  for (int b = 0; b < batch; ++b) {
    const std::size_t off = static_cast<std::size_t>(b) * kHeads * kHeadDim;
    items.push_back(
        {q.data() + off, out.data() + off, 1, ctx - 1, &seqs[static_cast<std::size_t>(b)]});
  }
  ThreadPool& pool = ThreadPool::shared();
  for (auto _ : state) {
    for (int l = 0; l < layers; ++l) odma::model::cpu::attention(st, l, kHeads, items, pool);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * per_layer * layers);
  state.counters["layers"] = layers;
  state.counters["threads"] = pool.threads();
}

// Sequential read of a 1 GiB buffer by the same pool: sum of floats, 16 accumulators per chunk.
void BM_SequentialRead(benchmark::State& state) {
  const std::size_t n = static_cast<std::size_t>(kMaxWorkingSet / 4);
  std::vector<float> buf(n, 1.0f);
  ThreadPool& pool = ThreadPool::shared();
  const int chunks = 64;
  std::vector<float> partial(chunks);
  for (auto _ : state) {
    pool.parallel_for(chunks, [&](int c) {
      const float* p = buf.data() + n / chunks * static_cast<std::size_t>(c);
      float acc[16] = {};
      for (std::size_t i = 0; i < n / chunks; i += 16)
        for (int j = 0; j < 16; ++j) acc[j] += p[i + static_cast<std::size_t>(j)];
      partial[static_cast<std::size_t>(c)] = std::accumulate(acc, acc + 16, 0.0f);
    });
    benchmark::DoNotOptimize(partial.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(n * 4));
}

void AttentionArgs(benchmark::internal::Benchmark* b) {
  for (int layout : {0, 16, 1})
    for (int batch : {8, 32})
      for (int ctx : {512, 2048}) b->Args({layout, batch, ctx});
}

BENCHMARK(BM_SequentialRead)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_DecodeAttention)
    ->Apply(AttentionArgs)
    ->ArgNames({"block", "batch", "ctx"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Keeps bytes/s of every run for the summary.
class CollectingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) {
      auto it = r.counters.find("bytes_per_second");
      if (it != r.counters.end()) gbps[r.benchmark_name()] = it->second.value / 1e9;
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> gbps;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  CollectingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  auto get = [&](int block, int batch, int ctx) {
    auto it = reporter.gbps.find("BM_DecodeAttention/block:" + std::to_string(block) +
                                 "/batch:" + std::to_string(batch) + "/ctx:" + std::to_string(ctx) +
                                 "/real_time");
    return it == reporter.gbps.end() ? 0.0 : it->second;
  };
  const auto seq_it = reporter.gbps.find("BM_SequentialRead/real_time");
  const double seq = seq_it == reporter.gbps.end() ? 0.0 : seq_it->second;
  std::printf("\nsequential read: %.1f GB/s\n\n", seq);
  std::printf(
      "| batch | ctx | contiguous GB/s | paged-16 GB/s | paged-1 GB/s | contiguous / seq read | "
      "paged-16 slowdown | paged-1 slowdown |\n|---|---|---|---|---|---|---|---|\n");
  for (int batch : {8, 32})
    for (int ctx : {512, 2048}) {
      const double c = get(0, batch, ctx), p16 = get(16, batch, ctx), p1 = get(1, batch, ctx);
      if (c == 0.0) continue;
      std::printf("| %d | %d | %.1f | %.1f | %.1f | %.0f%% | %.2fx | %.2fx |\n", batch, ctx, c, p16,
                  p1, seq > 0 ? 100.0 * c / seq : 0.0, p16 > 0 ? c / p16 : 0.0,
                  p1 > 0 ? c / p1 : 0.0);
    }
  benchmark::Shutdown();
  return 0;
}
