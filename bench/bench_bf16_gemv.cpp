// Decode GEMV from DRAM: BF16 weights (each kernel) vs the engine's F32 GEMV
// (src/model/cpu/linear.cpp, F32 weights = twice the bytes), next to a sequential-read probe
// of a same-size buffer with the same thread pool.
//
// Shapes: Qwen2-0.5B (hidden 896, q/o 896×896, k/v 128×896, MLP gate/up 4864×896, down 896×4864,
// tied head 151936×896), t = 1, 2, 4, 8 token rows. Each shape gets a set of copies of its matrix
// whose BF16 bytes are ≥ 256 MiB (8× this machine's 32 MiB L3; the head alone is 272 MB), cycled
// one per call, so every call streams its weights from DRAM. The F32 set holds the same number of
// copies (twice the bytes). Threads: ThreadPool($ODMA_THREADS or 2), fork-join over output rows in
// tasks of ~64 KiB of weights, activations prepared once per call before the fork.
//
// After Google Benchmark's table: GB/s of weight bytes (median and min–max over repetitions), % of
// the read probe, and the BF16 speedup over F32 per call.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bf16_bench_common.h"
#include "model/cpu/bf16.h"
#include "model/cpu/gemv_bf16.h"
#include "model/cpu/linear.h"

namespace {

using odma::bench::Buffer;
using odma::model::cpu::ThreadPool;
namespace cpu = odma::model::cpu;

constexpr std::size_t kSetBytes = std::size_t{256} << 20;

struct Shape {
  const char* name;
  int out, in;
};
constexpr Shape kShapes[] = {{"q_o", 896, 896},
                             {"k_v", 128, 896},
                             {"gate_up", 4864, 896},
                             {"down", 896, 4864},
                             {"head", 151936, 896}};

ThreadPool& pool() {
  return odma::bench::bench_pool();
}

// Each shape's cycled weight sets, built on first use and kept (all shapes: ~1.5 GiB BF16 + 3 GiB
// F32), so repetitions of different benchmarks can interleave without rebuilding them.
struct Sets {
  int copies = 0;
  std::unique_ptr<Buffer> bf16, f32;
};

Sets& sets_for(int shape) {
  static std::map<int, Sets> all;
  Sets& s = all[shape];
  if (s.copies != 0) return s;
  const Shape& sh = kShapes[shape];
  const std::size_t n = static_cast<std::size_t>(sh.out) * static_cast<std::size_t>(sh.in);
  const int copies = static_cast<int>(std::max<std::size_t>(1, (kSetBytes + n * 2 - 1) / (n * 2)));
  s.bf16 = std::make_unique<Buffer>(n * 2 * static_cast<std::size_t>(copies));
  s.f32 = std::make_unique<Buffer>(n * 4 * static_cast<std::size_t>(copies));
  std::mt19937 rng(7);
  std::normal_distribution<float> d(0.0f, 0.05f);
  auto* wb = static_cast<std::uint16_t*>(s.bf16->data);
  auto* wf = static_cast<float*>(s.f32->data);
  for (std::size_t i = 0; i < n; ++i) {
    wb[i] = cpu::to_bf16(d(rng));
    wf[i] = cpu::to_f32(wb[i]);
  }
  for (int c = 1; c < copies; ++c) {
    std::memcpy(wb + n * static_cast<std::size_t>(c), wb, n * 2);
    std::memcpy(wf + n * static_cast<std::size_t>(c), wf, n * 4);
  }
  s.copies = copies;
  return s;
}

std::vector<float> activations(int t, int in) {
  std::mt19937 rng(9);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> x(static_cast<std::size_t>(t) * in);
  for (auto& v : x) v = d(rng);
  return x;
}

// kernel -1: the engine's F32 GEMV; else a cpu::GemvKernel.
void BM_Gemv(benchmark::State& state, int shape, int kernel, int t) {
  const Shape& sh = kShapes[shape];
  Sets& s = sets_for(shape);
  const std::size_t n = static_cast<std::size_t>(sh.out) * static_cast<std::size_t>(sh.in);
  const auto x = activations(t, sh.in);
  std::vector<float> y(static_cast<std::size_t>(t) * sh.out);
  ThreadPool& p = pool();
  int copy = 0;
  if (kernel < 0) {
    const auto* w = static_cast<const float*>(s.f32->data);
    for (auto _ : state) {
      odma::model::cpu::linear(x.data(), t, w + n * static_cast<std::size_t>(copy), sh.out, sh.in,
                               y.data(), 0.0f, p);
      copy = (copy + 1) % s.copies;
      benchmark::DoNotOptimize(y.data());
    }
    state.counters["bytes"] = static_cast<double>(n * 4);
  } else {
    const auto k = static_cast<cpu::GemvKernel>(kernel);
    const auto* w = static_cast<const std::uint16_t*>(s.bf16->data);
    const int rows = std::max(1, 32768 / sh.in);  // ~64 KiB of BF16 weights per task
    const int tasks = (sh.out + rows - 1) / rows;
    cpu::GemvInput in;
    for (auto _ : state) {
      in.prepare(x.data(), t, sh.in, k);
      const std::uint16_t* wc = w + n * static_cast<std::size_t>(copy);
      p.parallel_for(tasks, [&](int i) {
        cpu::gemv_bf16(in, wc, sh.out, y.data(), 0.0f, i * rows, std::min(sh.out, (i + 1) * rows));
      });
      copy = (copy + 1) % s.copies;
      benchmark::DoNotOptimize(y.data());
    }
    state.counters["bytes"] = static_cast<double>(n * 2);
  }
  state.counters["flops"] = 2.0 * static_cast<double>(n) * t;
  state.counters["copies"] = s.copies;
  state.counters["threads"] = p.threads();
}

std::string name(int shape, const char* kernel, int t) {
  return std::string("BM_Gemv/") + kShapes[shape].name + "/" + kernel + "/t:" + std::to_string(t);
}

const char* kernel_label(int k) {
  return k < 0 ? "f32" : cpu::gemv_kernel_name(static_cast<cpu::GemvKernel>(k));
}

// Relative error of BF16-rounded activations (vdpbf16ps) against the F32-activation kernel on one
// shape: max |Δy| / max |y| and RMS(Δy) / RMS(y).
void print_activation_rounding_error() {
  if (!cpu::isa_supported(cpu::Isa::kAvx512Bf16)) return;
  for (int shape : {0, 2, 3}) {
    const Shape& sh = kShapes[shape];
    Sets& s = sets_for(shape);
    const auto x = activations(8, sh.in);
    std::vector<float> a(static_cast<std::size_t>(8) * sh.out), b(a.size());
    const auto* w = static_cast<const std::uint16_t*>(s.bf16->data);
    cpu::gemv_bf16(x.data(), 8, w, sh.out, sh.in, a.data(), 0.0f, 0, sh.out,
                   cpu::GemvKernel::kAvx512);
    cpu::gemv_bf16(x.data(), 8, w, sh.out, sh.in, b.data(), 0.0f, 0, sh.out,
                   cpu::GemvKernel::kAvx512Bf16);
    double maxd = 0, maxy = 0, sd = 0, sy = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      maxd = std::max(maxd, double{std::fabs(a[i] - b[i])});
      maxy = std::max(maxy, double{std::fabs(a[i])});
      sd += double{a[i] - b[i]} * (a[i] - b[i]);
      sy += double{a[i]} * a[i];
    }
    std::printf(
        "activation rounding (avx512bf16 vs avx512), %s %dx%d, x ~ N(0,1), w ~ N(0,0.05): "
        "max|dy|/max|y| = %.2e, rms(dy)/rms(y) = %.2e (2^%.1f)\n",
        sh.name, sh.out, sh.in, maxd / maxy, std::sqrt(sd / sy), std::log2(std::sqrt(sd / sy)));
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> kernels = {-1};
  for (int k = 0; k <= static_cast<int>(cpu::GemvKernel::kAvx512Bf16); ++k)
    if (k != 0 && cpu::isa_supported(cpu::required_isa(static_cast<cpu::GemvKernel>(k))))
      kernels.push_back(k);
  odma::bench::register_read_probe(kSetBytes, pool());
  for (int shape = 0; shape < static_cast<int>(std::size(kShapes)); ++shape)
    for (int t : {1, 2, 4, 8})
      for (int k : kernels) {
        const std::string n = name(shape, kernel_label(k), t);
        odma::bench::configure(
            benchmark::RegisterBenchmark(
                n.c_str(), [shape, k, t](benchmark::State& st) { BM_Gemv(st, shape, k, t); }),
            benchmark::kMicrosecond);
      }
  odma::bench::CollectingReporter rep;
  if (odma::bench::run_benchmarks(argc, argv, rep) != 0) return 1;

  const std::size_t l3 = odma::bench::l3_bytes();
  const auto probe =
      rep.gbps("BM_ReadProbe/MiB:" + std::to_string(kSetBytes >> 20) + odma::bench::time_suffix());
  std::printf(
      "\nISA: %s; threads %d; L3 (cpu0 index3) %zu MiB; BF16 weight set per shape >= %zu "
      "MiB (>= %.0fx L3: DRAM regime), F32 set 2x that\n",
      cpu::describe_isa().c_str(), pool().threads(), l3 >> 20, kSetBytes >> 20,
      l3 > 0 ? static_cast<double>(kSetBytes) / static_cast<double>(l3) : 0.0);
  std::printf("sequential read probe (%zu MiB, same pool): %s GB/s (median, min-max of reps)\n\n",
              kSetBytes >> 20, odma::bench::fmt(probe).c_str());
  std::printf(
      "| shape | out x in | t | kernel | GB/s of weights | %% of read | us/call | speedup vs f32 "
      "|\n"
      "|---|---|---|---|---|---|---|---|\n");
  for (int shape = 0; shape < static_cast<int>(std::size(kShapes)); ++shape)
    for (int t : {1, 2, 4, 8})
      for (int k : kernels) {
        const std::string n = name(shape, kernel_label(k), t) + odma::bench::time_suffix();
        const auto g = rep.gbps(n);
        if (g.n == 0) continue;
        odma::bench::Stats pct = g;
        pct.median *= 100 / probe.median;
        pct.min *= 100 / probe.median;
        pct.max *= 100 / probe.median;
        auto us = rep.seconds(n);
        us.median *= 1e6;
        us.min *= 1e6;
        us.max *= 1e6;
        const auto speed = rep.time_ratio(name(shape, "f32", t) + odma::bench::time_suffix(), n);
        std::printf("| %s | %dx%d | %d | %s | %s | %s | %s | %s |\n", kShapes[shape].name,
                    kShapes[shape].out, kShapes[shape].in, t, kernel_label(k),
                    odma::bench::fmt(g).c_str(), odma::bench::fmt(pct, 0).c_str(),
                    odma::bench::fmt(us, 0).c_str(),
                    k < 0 ? "1" : odma::bench::fmt(speed, 2).c_str());
      }
  std::printf("\n");
  print_activation_rounding_error();
  benchmark::Shutdown();
  return 0;
}
