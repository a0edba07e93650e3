// Decode attention by K/V dtype through the engine's entry point (cpu::attention over a
// model::KvStorage): BF16 vs INT8 K/V (attention_i8.h), contiguous vs vLLM-style paged (16-token
// blocks at random placement), in the DRAM regime.
//
// Shapes: DeepSeek-R1-Distill-Qwen-7B (head_dim 128, 4 KV heads, 28 query heads) and
// Qwen2-0.5B (head_dim 64, 2 KV heads, 14 query heads); both GQA group 7. Each iteration is one
// decode step's attention over `layers` layers for `batch` sequences of `ctx` tokens (one query
// each). layers = min(28, ⌊1 GiB / BF16 bytes per layer⌋), the same for both dtypes: a step reads
// ≥ 0.5 GiB of BF16 K/V (≥ 16× a 32 MiB L3) and about half that in INT8. Bytes counted = K + V
// (+ INT8's scales) read once. Threads: ThreadPool($ODMA_THREADS or 2).
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench/scattered_layout.h"
#include "bf16_bench_common.h"
#include "model/cpu/attention.h"
#include "model/cpu/cpu_features.h"
#include "model/cpu/cpu_kernels.h"
#include "model/kv_storage.h"

namespace {

using odma::model::DType;
using odma::model::KvStorage;
namespace cpu = odma::model::cpu;

struct Config {
  const char* shape;
  int head_dim, kv_heads, heads, batch, ctx;
  int layers() const {
    const std::int64_t per_layer =
        std::int64_t{batch} * ctx *
        static_cast<std::int64_t>(KvStorage::slot_bytes(1, kv_heads, head_dim, DType::kBF16));
    return static_cast<int>(std::clamp<std::int64_t>((std::int64_t{1} << 30) / per_layer, 1, 28));
  }
  std::int64_t bytes(DType d) const {
    return std::int64_t{layers()} * batch * ctx *
           static_cast<std::int64_t>(KvStorage::slot_bytes(1, kv_heads, head_dim, d));
  }
  std::string label() const {
    return std::string(shape) + "/batch:" + std::to_string(batch) + "/ctx:" + std::to_string(ctx);
  }
};

const Config kConfigs[] = {{"r1-7b", 128, 4, 28, 8, 2048},
                           {"r1-7b", 128, 4, 28, 32, 1024},
                           {"r1-7b", 128, 4, 28, 4, 8192},
                           {"qwen2-0.5b", 64, 2, 14, 8, 2048},
                           {"qwen2-0.5b", 64, 2, 14, 32, 1024}};
constexpr DType kDtypes[] = {DType::kBF16, DType::kI8};

// One arena per (config, dtype), filled once with K/V stored from the same random F32 rows and
// kept, so repetitions of different benchmarks interleave without rebuilding them.
KvStorage& arena(int c, DType d) {
  static std::map<std::pair<int, DType>, std::unique_ptr<KvStorage>> all;
  auto& a = all[{c, d}];
  if (a) return *a;
  const Config& cfg = kConfigs[c];
  const std::int64_t cap = std::int64_t{cfg.batch} * cfg.ctx;
  a = std::make_unique<KvStorage>(cfg.layers(), cfg.kv_heads, cfg.head_dim, cap, d);
  const cpu::CpuKernels kernels(odma::bench::bench_pool());
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const std::int64_t chunk = 1024;
  std::vector<float> k(static_cast<std::size_t>(chunk * cfg.kv_heads * cfg.head_dim)), v(k.size());
  std::vector<std::int64_t> slots(static_cast<std::size_t>(chunk));
  for (int l = 0; l < cfg.layers(); ++l)
    for (std::int64_t s0 = 0; s0 < cap; s0 += chunk) {
      for (auto& x : k) x = nd(rng);
      for (auto& x : v) x = nd(rng);
      const std::int64_t n = std::min(chunk, cap - s0);
      for (std::int64_t i = 0; i < n; ++i) slots[static_cast<std::size_t>(i)] = s0 + i;
      kernels.store_kv(*a, l, k.data(), v.data(), {slots.data(), static_cast<std::size_t>(n)});
    }
  return *a;
}

void BM_Attention(benchmark::State& state, int c, int block, DType d) {
  const Config& cfg = kConfigs[c];
  KvStorage& st = arena(c, d);
  const auto seqs = odma::bench::scattered_layout(cfg.batch, cfg.ctx, block);
  std::vector<float> q(static_cast<std::size_t>(cfg.batch) * cfg.heads * cfg.head_dim),
      out(q.size());
  std::mt19937 rng(4);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (auto& x : q) x = nd(rng);
  std::vector<odma::model::AttentionItem> items;
  for (int b = 0; b < cfg.batch; ++b) {
    const std::size_t off = static_cast<std::size_t>(b) * cfg.heads * cfg.head_dim;
    items.push_back(
        {q.data() + off, out.data() + off, 1, cfg.ctx - 1, &seqs[static_cast<std::size_t>(b)]});
  }
  cpu::ThreadPool& pool = odma::bench::bench_pool();
  for (auto _ : state) {
    for (int l = 0; l < cfg.layers(); ++l) cpu::attention(st, l, cfg.heads, items, pool);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(cfg.bytes(d));
  state.counters["flops"] = 0;
}

const char* label(DType d) {
  return d == DType::kI8 ? "int8" : "bf16";
}

std::string name(int c, int block, DType d) {
  return "BM_Attention/" + kConfigs[c].label() + "/block:" + std::to_string(block) + "/" +
         label(d) + odma::bench::time_suffix();
}

}  // namespace

int main(int argc, char** argv) {
  odma::bench::register_read_probe(std::size_t{512} << 20, odma::bench::bench_pool());
  for (int c = 0; c < static_cast<int>(std::size(kConfigs)); ++c)
    for (int block : {0, 16})
      for (DType d : kDtypes) {
        std::string n = name(c, block, d);
        n.resize(n.size() - std::string(odma::bench::time_suffix()).size());
        odma::bench::configure(
            benchmark::RegisterBenchmark(
                n.c_str(), [c, block, d](benchmark::State& s) { BM_Attention(s, c, block, d); }),
            benchmark::kMillisecond);
      }
  odma::bench::CollectingReporter rep;
  if (odma::bench::run_benchmarks(argc, argv, rep) != 0) return 1;
  const auto probe = rep.gbps(std::string("BM_ReadProbe/MiB:512") + odma::bench::time_suffix());
  std::printf("\nISA: %s; threads %d; L3 (cpu0 index3) %zu MiB\n", cpu::describe_isa().c_str(),
              odma::bench::bench_pool().threads(), odma::bench::l3_bytes() >> 20);
  std::printf("sequential read probe (512 MiB, same pool): %s GB/s\n\n",
              odma::bench::fmt(probe).c_str());
  std::printf(
      "| shape | batch | ctx | layers | KV MiB (bf16 / int8) | layout | bf16 ms | int8 ms | int8 "
      "/ bf16 time | bf16 GB/s | int8 GB/s |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (int c = 0; c < static_cast<int>(std::size(kConfigs)); ++c) {
    const Config& cfg = kConfigs[c];
    for (int block : {0, 16}) {
      auto ms = [&](DType d) {
        auto s = rep.seconds(name(c, block, d));
        s.median *= 1e3;
        s.min *= 1e3;
        s.max *= 1e3;
        return odma::bench::fmt(s, 2);
      };
      if (rep.find(name(c, block, DType::kBF16)) == nullptr) continue;
      std::printf("| %s | %d | %d | %d | %.0f / %.0f | %s | %s | %s | %s | %s | %s |\n", cfg.shape,
                  cfg.batch, cfg.ctx, cfg.layers(),
                  static_cast<double>(cfg.bytes(DType::kBF16)) / (1 << 20),
                  static_cast<double>(cfg.bytes(DType::kI8)) / (1 << 20),
                  block == 0 ? "contiguous" : "paged-16", ms(DType::kBF16).c_str(),
                  ms(DType::kI8).c_str(),
                  odma::bench::fmt(
                      rep.time_ratio(name(c, block, DType::kI8), name(c, block, DType::kBF16)), 2)
                      .c_str(),
                  odma::bench::fmt(rep.gbps(name(c, block, DType::kBF16))).c_str(),
                  odma::bench::fmt(rep.gbps(name(c, block, DType::kI8))).c_str());
    }
  }
  benchmark::Shutdown();
  return 0;
}
