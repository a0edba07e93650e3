// Prefill GEMM, m = 512 tokens, Qwen2-0.5B shapes (896→4864 gate/up, 4864→896 down, 896→896 q/o),
// side by side on this machine with the same 2 threads:
//   own-avx512bf16  this repo's blocked vdpbf16ps kernel (weights packed once, outside timing;
//                   activation conversion to BF16 inside timing), panels over the ThreadPool
//   gemv-tiles      this repo's AVX-512F GEMV over 8-row tiles (the kernel AVX-512F-only CPUs get)
//   onednn          oneDNN matmul (Debian libdnnl), BF16 src × BF16 weights → F32 dst, weights
//                   reordered once to the primitive's preferred layout (outside timing), src
//                   conversion (same pool, 32-row tasks) inside timing; OpenMP threads: set
//                   OMP_NUM_THREADS in the environment (libgomp reads it before main(); default
//                   = all CPUs), e.g. OMP_NUM_THREADS=1 with ODMA_THREADS=1
//   sbgemm          OpenBLAS cblas_sbgemm if the installed libopenblas exports it (looked up at
//                   run time with dlsym; Debian's 0.3.21 does not)
//   f32-sgemm       the engine's path today (src/model/cpu/linear.cpp): F32-widened weights,
//                   single-threaded OpenBLAS sgemm on row slices over the ThreadPool
//   amx             not runnable here (no AMX): reported as such
// Activation conversion to BF16 is inside every BF16 timing, split over the pool by 32-row blocks.
// GFLOP/s = 2·m·out·in / time; tokens/s = m / time for that one projection.
#include <dlfcn.h>

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bf16_bench_common.h"
#include "model/cpu/bf16.h"
#include "model/cpu/gemm_bf16.h"
#include "model/cpu/linear.h"

#if defined(ODMA_HAVE_DNNL)
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace {

using odma::model::cpu::ThreadPool;
namespace cpu = odma::model::cpu;

constexpr int kTokens = 512;

struct Shape {
  const char* name;
  int out, in;
};
constexpr Shape kShapes[] = {{"gate_up", 4864, 896}, {"down", 896, 4864}, {"q_o", 896, 896}};

ThreadPool& pool() {
  return odma::bench::bench_pool();
}

struct Data {
  std::vector<float> x, wf, y;
  std::vector<std::uint16_t> wb;
};

Data make(const Shape& s) {
  std::mt19937 rng(5);
  std::normal_distribution<float> d(0.0f, 1.0f), dw(0.0f, 0.05f);
  Data out;
  out.x.resize(static_cast<std::size_t>(kTokens) * s.in);
  for (auto& v : out.x) v = d(rng);
  out.wb.resize(static_cast<std::size_t>(s.out) * s.in);
  out.wf.resize(out.wb.size());
  for (std::size_t i = 0; i < out.wb.size(); ++i) {
    out.wb[i] = cpu::to_bf16(dw(rng));
    out.wf[i] = cpu::to_f32(out.wb[i]);
  }
  out.y.resize(static_cast<std::size_t>(kTokens) * s.out);
  return out;
}

// x → BF16 with the pool, 32 rows per task (as the own kernel's GemmInput::convert_rows).
void convert_parallel(const std::vector<float>& x, std::vector<std::uint16_t>& xb, int in) {
  const int blocks = (kTokens + 31) / 32;
  pool().parallel_for(blocks, [&](int b) {
    const std::size_t r0 = static_cast<std::size_t>(b) * 32;
    const std::size_t r1 = std::min<std::size_t>(kTokens, r0 + 32);
    cpu::convert_f32_to_bf16(x.data() + r0 * in, xb.data() + r0 * in, (r1 - r0) * in);
  });
}

void set_counters(benchmark::State& state, const Shape& s) {
  state.counters["flops"] = 2.0 * kTokens * s.out * s.in;
  state.counters["bytes"] = 0;
}

void BM_Own(benchmark::State& state, int shape, cpu::GemmKernel kernel) {
  const Shape& s = kShapes[shape];
  Data d = make(s);
  const auto w = cpu::PackedGemmWeights::pack(d.wb.data(), s.out, s.in, kernel);
  cpu::GemmInput in;
  ThreadPool& p = pool();
  const int panels = w.panels(), pc = w.panel_cols();
  // kGemvTiles: columns in ~64 KiB-of-weights tasks; panel kernels: one panel per task.
  const int cols = kernel == cpu::GemmKernel::kGemvTiles ? std::max(1, 32768 / s.in) : pc;
  const int tasks = kernel == cpu::GemmKernel::kGemvTiles ? (s.out + cols - 1) / cols : panels;
  const int row_blocks = (kTokens + cpu::GemmInput::kRowBlock - 1) / cpu::GemmInput::kRowBlock;
  for (auto _ : state) {
    in.reset(d.x.data(), kTokens, s.in, kernel);
    p.parallel_for(row_blocks, [&](int b) {
      in.convert_rows(b * cpu::GemmInput::kRowBlock,
                      std::min(kTokens, (b + 1) * cpu::GemmInput::kRowBlock));
    });
    p.parallel_for(tasks, [&](int i) {
      cpu::gemm_bf16(in, w, d.y.data(), 0.0f, i * cols, std::min(s.out, (i + 1) * cols));
    });
    benchmark::DoNotOptimize(d.y.data());
  }
  set_counters(state, s);
}

void BM_F32Sgemm(benchmark::State& state, int shape) {
  const Shape& s = kShapes[shape];
  Data d = make(s);
  for (auto _ : state) {
    odma::model::cpu::linear(d.x.data(), kTokens, d.wf.data(), s.out, s.in, d.y.data(), 0.0f,
                             pool());
    benchmark::DoNotOptimize(d.y.data());
  }
  set_counters(state, s);
}

using SbgemmFn = void (*)(int, int, int, int, int, int, float, const std::uint16_t*, int,
                          const std::uint16_t*, int, float, float*, int);
SbgemmFn find_sbgemm() {
  return reinterpret_cast<SbgemmFn>(dlsym(RTLD_DEFAULT, "cblas_sbgemm"));
}

void BM_Sbgemm(benchmark::State& state, int shape) {
  const SbgemmFn fn = find_sbgemm();
  if (fn == nullptr) {
    state.SkipWithError("cblas_sbgemm not exported by this libopenblas");
    for (auto _ : state) {
    }
    return;
  }
  const Shape& s = kShapes[shape];
  Data d = make(s);
  std::vector<std::uint16_t> xb(d.x.size());
  for (auto _ : state) {
    convert_parallel(d.x, xb, s.in);
    fn(CblasRowMajor, CblasNoTrans, CblasTrans, kTokens, s.out, s.in, 1.0f, xb.data(), s.in,
       d.wb.data(), s.in, 0.0f, d.y.data(), s.out);
    benchmark::DoNotOptimize(d.y.data());
  }
  set_counters(state, s);
}

#if defined(ODMA_HAVE_DNNL)
void BM_OneDnn(benchmark::State& state, int shape) {
  using namespace dnnl;
  using tag = memory::format_tag;
  using dt = memory::data_type;
  const Shape& s = kShapes[shape];
  Data d = make(s);
  engine eng(engine::kind::cpu, 0);
  stream strm(eng);
  const memory::dims src_dims = {kTokens, s.in}, wei_dims = {s.in, s.out},
                     dst_dims = {kTokens, s.out};
  const memory::desc src_md(src_dims, dt::bf16, tag::ab);
  const memory::desc wei_any(wei_dims, dt::bf16, tag::any);
  const memory::desc dst_md(dst_dims, dt::f32, tag::ab);
  const matmul::primitive_desc pd(matmul::desc(src_md, wei_any, dst_md), eng);
  // W is [out][in] row-major = the K×N weights matrix in "ba" order; reorder once (load time).
  memory wei_user({wei_dims, dt::bf16, tag::ba}, eng, d.wb.data());
  memory wei(pd.weights_desc(), eng);
  reorder(wei_user, wei).execute(strm, wei_user, wei);
  std::vector<std::uint16_t> xb(d.x.size());
  memory src(src_md, eng, xb.data()), dst(dst_md, eng, d.y.data());
  matmul mm(pd);
  for (auto _ : state) {
    convert_parallel(d.x, xb, s.in);
    mm.execute(strm, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}});
    strm.wait();
    benchmark::DoNotOptimize(d.y.data());
  }
  set_counters(state, s);
  state.SetLabel(pd.impl_info_str());
}
#endif

// Max |y - y_ref| / max |y_ref| of each BF16 implementation against the F32 sgemm.
void print_errors(int shape) {
  const Shape& s = kShapes[shape];
  Data d = make(s);
  std::vector<float> ref(d.y.size());
  odma::model::cpu::linear(d.x.data(), kTokens, d.wf.data(), s.out, s.in, ref.data(), 0.0f, pool());
  double maxref = 0;
  for (float v : ref) maxref = std::max(maxref, double{std::fabs(v)});
  auto report = [&](const char* what, const std::vector<float>& y) {
    double m = 0;
    for (std::size_t i = 0; i < y.size(); ++i) m = std::max(m, double{std::fabs(y[i] - ref[i])});
    std::printf("  %-16s max|y - y_f32sgemm| / max|y_f32sgemm| = %.2e\n", what, m / maxref);
  };
  std::printf("%s %dx%d, m %d (x ~ N(0,1), w ~ N(0,0.05)):\n", s.name, s.out, s.in, kTokens);
  for (cpu::GemmKernel k : {cpu::GemmKernel::kAvx512Bf16, cpu::GemmKernel::kGemvTiles}) {
    if (!cpu::isa_supported(cpu::required_isa(k))) continue;
    const auto w = cpu::PackedGemmWeights::pack(d.wb.data(), s.out, s.in, k);
    cpu::GemmInput in;
    in.prepare(d.x.data(), kTokens, s.in, k);
    std::vector<float> y(d.y.size());
    cpu::gemm_bf16(in, w, y.data(), 0.0f, 0, s.out);
    report(cpu::gemm_kernel_name(k), y);
  }
}

std::string bm(const char* impl, int shape) {
  return std::string("BM_Gemm/") + kShapes[shape].name + "/" + impl;
}

}  // namespace

int main(int argc, char** argv) {
  setenv("OMP_NUM_THREADS", std::to_string(pool().threads()).c_str(), 0);
  openblas_set_num_threads(1);
  const bool bf16 = cpu::isa_supported(cpu::Isa::kAvx512Bf16);
  std::vector<std::string> impls;
  for (int sh = 0; sh < static_cast<int>(std::size(kShapes)); ++sh) {
    auto reg = [&](const char* impl, auto fn) {
      odma::bench::configure(benchmark::RegisterBenchmark(bm(impl, sh).c_str(), fn),
                             benchmark::kMillisecond);
    };
    if (bf16)
      reg("own-avx512bf16",
          [sh](benchmark::State& s) { BM_Own(s, sh, cpu::GemmKernel::kAvx512Bf16); });
    reg("gemv-tiles", [sh](benchmark::State& s) { BM_Own(s, sh, cpu::GemmKernel::kGemvTiles); });
#if defined(ODMA_HAVE_DNNL)
    reg("onednn", [sh](benchmark::State& s) { BM_OneDnn(s, sh); });
#endif
    reg("sbgemm", [sh](benchmark::State& s) { BM_Sbgemm(s, sh); });
    reg("f32-sgemm", [sh](benchmark::State& s) { BM_F32Sgemm(s, sh); });
  }
  odma::bench::CollectingReporter rep;
  if (odma::bench::run_benchmarks(argc, argv, rep) != 0) return 1;
  std::printf("\nISA: %s; threads %d; m = %d tokens\n", cpu::describe_isa().c_str(),
              pool().threads(), kTokens);
  std::printf("cblas_sbgemm: %s\n",
              find_sbgemm() != nullptr ? "exported" : "NOT exported by the loaded libopenblas");
  std::printf(
      "\n| shape | out x in | implementation | GFLOP/s | ms per GEMM | tokens/s | vs f32-sgemm |\n"
      "|---|---|---|---|---|---|---|\n");
  for (int sh = 0; sh < static_cast<int>(std::size(kShapes)); ++sh) {
    for (const char* impl :
         {"own-avx512bf16", "gemv-tiles", "onednn", "sbgemm", "f32-sgemm", "amx"}) {
      const std::string n = bm(impl, sh) + odma::bench::time_suffix();
      const auto g = rep.gflops(n);
      if (g.n == 0) {
        std::printf("| %s | %dx%d | %s | not run%s | | | |\n", kShapes[sh].name, kShapes[sh].out,
                    kShapes[sh].in, impl,
                    std::string(impl) == "amx"      ? " (no AMX on this CPU)"
                    : std::string(impl) == "sbgemm" ? " (not exported)"
                                                    : "");
        continue;
      }
      auto ms = rep.seconds(n);
      odma::bench::Stats tps = ms;
      tps.median = kTokens / ms.median;
      tps.min = kTokens / ms.max;
      tps.max = kTokens / ms.min;
      ms.median *= 1e3;
      ms.min *= 1e3;
      ms.max *= 1e3;
      const auto speed = rep.time_ratio(bm("f32-sgemm", sh) + odma::bench::time_suffix(), n);
      std::printf("| %s | %dx%d | %s | %s | %s | %s | %s |\n", kShapes[sh].name, kShapes[sh].out,
                  kShapes[sh].in, impl, odma::bench::fmt(g, 0).c_str(),
                  odma::bench::fmt(ms, 2).c_str(), odma::bench::fmt(tps, 0).c_str(),
                  odma::bench::fmt(speed, 2).c_str());
    }
  }
  std::printf("\n");
  for (int sh = 0; sh < static_cast<int>(std::size(kShapes)); ++sh) print_errors(sh);
  benchmark::Shutdown();
  return 0;
}
