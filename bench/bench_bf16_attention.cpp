// Decode attention: BF16 K/V (this repo's kernels) vs F32 K/V (the engine's kernel today,
// src/model/cpu/attention.cpp), contiguous vs vLLM-style paged (16- and 1-token blocks at
// random placement), in the DRAM regime and in cache, next to a sequential-read probe.
//
// Shape: head_dim 128, 4 KV heads, 28 query heads (GQA group 7: DeepSeek-R1-Distill-Qwen-7B).
// Each iteration is one decode step's attention over `layers` layers for `batch` sequences of
// `ctx` tokens (one query token each, at position ctx − 1).
//   DRAM regime:  layers = min(28, ⌊1 GiB / F32 bytes per layer⌋), the same for both dtypes: the
//                 step reads ≥ 235 MiB of BF16 K/V (≥ 7× the 32 MiB L3) and twice that in F32.
//   cache regime: batch 8 / 16, ctx 512, one layer: 8 / 16 MiB of BF16 K/V (F32: 16 / 32 MiB).
// Bytes counted = K + V read once. Threads: ThreadPool($ODMA_THREADS or 2); tasks are
// (sequence, kv head) pairs, as in the engine's attention().
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench/scattered_layout.h"
#include "bf16_bench_common.h"
#include "model/cpu/attention.h"
#include "model/cpu/attention_bf16.h"
#include "model/cpu/bf16.h"
#include "model/cpu/kv_bf16.h"

namespace {

using odma::model::cpu::ThreadPool;
namespace cpu = odma::model::cpu;

constexpr int kHeadDim = 128, kKvHeads = 4, kHeads = 28, kGroup = kHeads / kKvHeads;
constexpr int kMaxLayers = 28;
constexpr std::int64_t kF32WorkingSet = std::int64_t{1} << 30;

ThreadPool& pool() {
  return odma::bench::bench_pool();
}

struct Config {
  int batch, ctx;
  bool dram;
  int layers() const {
    if (!dram) return 1;
    const std::int64_t per_layer = std::int64_t{batch} * ctx * kKvHeads * kHeadDim * 4 * 2;
    return static_cast<int>(std::clamp<std::int64_t>(kF32WorkingSet / per_layer, 1, kMaxLayers));
  }
  std::int64_t bytes(int elem) const {
    return std::int64_t{layers()} * batch * ctx * kKvHeads * kHeadDim * elem * 2;
  }
  std::string label() const {
    return std::string(dram ? "dram" : "cache") + "/batch:" + std::to_string(batch) +
           "/ctx:" + std::to_string(ctx);
  }
};

const Config kConfigs[] = {{8, 512, true},   {8, 2048, true}, {32, 512, true},
                           {32, 2048, true}, {8, 512, false}, {16, 512, false}};

// Each config's arenas (F32 and BF16 holding the same values), built on first use and kept
// (~5 GiB in all), so repetitions of different benchmarks can interleave without rebuilding them.
struct Arenas {
  std::unique_ptr<odma::model::KvStorage> f32;
  std::unique_ptr<cpu::KvPlanesBf16> bf16;
};

Arenas& arenas(int c) {
  static std::map<int, Arenas> all;
  Arenas& a = all[c];
  if (a.f32 != nullptr) return a;
  const Config& cfg = kConfigs[c];
  const std::int64_t cap = std::int64_t{cfg.batch} * cfg.ctx;
  a.f32 = std::make_unique<odma::model::KvStorage>(cfg.layers(), kKvHeads, kHeadDim, cap);
  a.bf16 = std::make_unique<cpu::KvPlanesBf16>(cfg.layers(), kKvHeads, kHeadDim, cap);
  std::mt19937 rng(3);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> row(static_cast<std::size_t>(cap) * kHeadDim);
  for (auto& v : row) v = cpu::to_f32(cpu::to_bf16(d(rng)));
  for (int l = 0; l < cfg.layers(); ++l)
    for (int kv = 0; kv < 2; ++kv)
      for (int h = 0; h < kKvHeads; ++h) {
        std::memcpy(a.f32->plane(l, kv, h), row.data(), row.size() * 4);
        cpu::convert_f32_to_bf16(row.data(), a.bf16->plane(l, kv, h), row.size());
      }
  return a;
}

std::vector<cpu::KvRun> runs_of(const odma::model::SeqKv& s, int ctx) {
  std::vector<cpu::KvRun> runs;
  if (s.is_paged()) {
    for (int p = 0, b = 0; p < ctx; p += s.block_tokens, ++b)
      runs.push_back(
          {s.block_table[static_cast<std::size_t>(b)], std::min(s.block_tokens, ctx - p)});
  } else {
    int p = 0;
    for (const auto& e : s.extents) {
      const int n = static_cast<int>(std::min<std::int64_t>(e.length, ctx - p));
      runs.push_back({e.offset, n});
      p += n;
      if (p >= ctx) break;
    }
  }
  return runs;
}

// kernel -1: F32 engine kernel; else cpu::AttnKernel.
void BM_Attention(benchmark::State& state, int c, int block, int kernel) {
  const Config& cfg = kConfigs[c];
  Arenas& a = arenas(c);
  const auto seqs = odma::bench::scattered_layout(cfg.batch, cfg.ctx, block);
  std::vector<float> q(static_cast<std::size_t>(cfg.batch) * kHeads * kHeadDim, 0.05f),
      out(q.size());
  std::mt19937 rng(4);
  std::normal_distribution<float> d(0.0f, 1.0f);
  for (auto& v : q) v = d(rng);
  ThreadPool& p = pool();
  const int layers = cfg.layers();
  if (kernel < 0) {
    std::vector<odma::model::AttentionItem> items;
    for (int b = 0; b < cfg.batch; ++b) {
      const std::size_t off = static_cast<std::size_t>(b) * kHeads * kHeadDim;
      items.push_back(
          {q.data() + off, out.data() + off, 1, cfg.ctx - 1, &seqs[static_cast<std::size_t>(b)]});
    }
    for (auto _ : state) {
      for (int l = 0; l < layers; ++l) odma::model::cpu::attention(*a.f32, l, kHeads, items, p);
      benchmark::DoNotOptimize(out.data());
    }
    state.counters["bytes"] = static_cast<double>(cfg.bytes(4));
  } else {
    const auto k = static_cast<cpu::AttnKernel>(kernel);
    std::vector<std::vector<cpu::KvRun>> runs;
    for (const auto& s : seqs) runs.push_back(runs_of(s, cfg.ctx));
    for (auto _ : state) {
      for (int l = 0; l < layers; ++l) {
        p.parallel_for(cfg.batch * kKvHeads, [&](int t) {
          const int b = t / kKvHeads, h = t % kKvHeads;
          const std::size_t off = (static_cast<std::size_t>(b) * kHeads + h * kGroup) * kHeadDim;
          const auto& r = runs[static_cast<std::size_t>(b)];
          cpu::attend_bf16(a.bf16->plane(l, 0, h), a.bf16->plane(l, 1, h), kHeadDim, kGroup,
                           r.data(), static_cast<int>(r.size()), q.data() + off, out.data() + off,
                           k);
        });
      }
      benchmark::DoNotOptimize(out.data());
    }
    state.counters["bytes"] = static_cast<double>(cfg.bytes(2));
  }
  state.counters["flops"] = 0;
  state.counters["layers"] = layers;
}

const char* label(int k) {
  return k < 0 ? "f32" : cpu::attn_kernel_name(static_cast<cpu::AttnKernel>(k));
}

std::string name(int c, int block, int k) {
  return "BM_Attention/" + kConfigs[c].label() + "/block:" + std::to_string(block) + "/" +
         label(k) + odma::bench::time_suffix();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> kernels = {-1};
  for (cpu::AttnKernel k :
       {cpu::AttnKernel::kAvx2, cpu::AttnKernel::kAvx512, cpu::AttnKernel::kAvx512Bf16})
    if (cpu::isa_supported(cpu::required_isa(k))) kernels.push_back(static_cast<int>(k));
  odma::bench::register_read_probe(std::size_t{512} << 20, pool());
  for (int c = 0; c < static_cast<int>(std::size(kConfigs)); ++c)
    for (int block : {0, 16, 1})
      for (int k : kernels) {
        std::string n = name(c, block, k);
        n.resize(n.size() - std::string(odma::bench::time_suffix()).size());
        odma::bench::configure(
            benchmark::RegisterBenchmark(
                n.c_str(), [c, block, k](benchmark::State& s) { BM_Attention(s, c, block, k); }),
            benchmark::kMillisecond);
      }
  odma::bench::CollectingReporter rep;
  if (odma::bench::run_benchmarks(argc, argv, rep) != 0) return 1;
  const std::size_t l3 = odma::bench::l3_bytes();
  const auto probe = rep.gbps(std::string("BM_ReadProbe/MiB:512") + odma::bench::time_suffix());
  std::printf("\nISA: %s; threads %d; L3 (cpu0 index3) %zu MiB\n", cpu::describe_isa().c_str(),
              pool().threads(), l3 >> 20);
  std::printf("sequential read probe (512 MiB, same pool): %s GB/s\n\n",
              odma::bench::fmt(probe).c_str());
  std::printf(
      "| regime | batch | ctx | layers | KV MiB (bf16 / f32) | kernel | contiguous GB/s | "
      "paged-16 GB/s | paged-1 GB/s | paged-16 / contiguous (time) | paged-1 / contiguous "
      "| step ms (contiguous) | f32 time / this time (contiguous) |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (int c = 0; c < static_cast<int>(std::size(kConfigs)); ++c) {
    const Config& cfg = kConfigs[c];
    for (int k : kernels) {
      const auto g0 = rep.gbps(name(c, 0, k));
      if (g0.n == 0) continue;
      auto ms = rep.seconds(name(c, 0, k));
      ms.median *= 1e3;
      ms.min *= 1e3;
      ms.max *= 1e3;
      const double kv = static_cast<double>(cfg.bytes(2)) / (1 << 20);
      std::printf(
          "| %s | %d | %d | %d | %.0f / %.0f (%.1fx / %.1fx L3) | %s | %s | %s | %s | %s | %s | %s "
          "| %s |\n",
          cfg.dram ? "DRAM" : "cache", cfg.batch, cfg.ctx, cfg.layers(), kv, 2 * kv,
          kv * (1 << 20) / static_cast<double>(l3), 2 * kv * (1 << 20) / static_cast<double>(l3),
          label(k), odma::bench::fmt(g0).c_str(),
          odma::bench::fmt(rep.gbps(name(c, 16, k))).c_str(),
          odma::bench::fmt(rep.gbps(name(c, 1, k))).c_str(),
          odma::bench::fmt(rep.time_ratio(name(c, 16, k), name(c, 0, k)), 2).c_str(),
          odma::bench::fmt(rep.time_ratio(name(c, 1, k), name(c, 0, k)), 2).c_str(),
          odma::bench::fmt(ms, 2).c_str(),
          k < 0 ? "1" : odma::bench::fmt(rep.time_ratio(name(c, 0, -1), name(c, 0, k)), 2).c_str());
    }
  }
  benchmark::Shutdown();
  return 0;
}
