// INT8 weights: the two designs of docs/model.md ("INT8 weights") side by side with BF16, streaming
// weights from DRAM, on the engine's pool (ThreadPool::shared(): $ODMA_THREADS or all cores).
//   bf16       the engine's BF16 projections (linear_bf16.h: vdpbf16ps GEMV, GEMM for prefill)
//   w8a8       the engine's INT8 projections (linear_int8.h: activations quantized per token,
//              vpdpbusd), quantization included
//   widen_f32  design (b), measured here only: INT8 weights widened to F32 on the fly
//              (vpmovsxbd + vcvtdq2ps) and FMA against F32 activations, scale per row at the end
// Shapes of Qwen2-0.5B (q/o 896×896, gate/up 4864×896, down 896×4864, tied head 151936×896); each
// gets copies of its matrix worth ≥ 256 MiB of INT8 (BF16: the same copies), cycled one per call.
// Counter "GB/s": the weight bytes of the call's dtype per second.
//
//   ./build/bench/odma_bench_int8_gemv --benchmark_repetitions=5
//       --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which -W(maybe-)uninitialized
// flags (a false positive) once they are inlined here.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "model/cpu/linear_bf16.h"
#include "model/cpu/linear_int8.h"
#include "model/cpu/thread_pool.h"
#include "model/int8_weights.h"

namespace {

using odma::model::DType;
using odma::model::Projection;
using odma::model::WeightMatrix;
using odma::model::cpu::ThreadPool;

constexpr std::size_t kSetBytes = std::size_t{256} << 20;

struct Shape {
  const char* name;
  int out, in;
};
constexpr Shape kShapes[] = {
    {"q_o", 896, 896}, {"gate_up", 4864, 896}, {"down", 896, 4864}, {"head", 151936, 896}};

struct Set {
  std::vector<WeightMatrix> bf16, i8;
};

Set& set_for(int shape) {
  static std::map<int, Set> all;
  Set& s = all[shape];
  if (!s.i8.empty()) return s;
  const Shape& sh = kShapes[shape];
  const std::size_t n = static_cast<std::size_t>(sh.out) * static_cast<std::size_t>(sh.in);
  const std::size_t copies = std::max<std::size_t>(2, (kSetBytes + n - 1) / n);
  WeightMatrix f(DType::kF32, sh.out, sh.in);
  std::mt19937 rng(7);
  std::normal_distribution<float> d(0.0f, 0.05f);
  auto* v = reinterpret_cast<float*>(f.mutable_data());
  for (std::size_t i = 0; i < n; ++i) v[i] = d(rng);
  const WeightMatrix q = odma::model::quantize_int8(f);
  for (std::size_t c = 0; c < copies; ++c) {
    s.i8.emplace_back(DType::kI8, sh.out, sh.in);
    std::memcpy(s.i8.back().mutable_data(), q.data(), q.bytes());
    s.bf16.emplace_back(DType::kBF16, sh.out, sh.in);
    std::memset(s.bf16.back().mutable_data(), 0x3c, s.bf16.back().bytes());
  }
  return s;
}

std::vector<float> activations(int t, int in) {
  std::mt19937 rng(9);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> x(static_cast<std::size_t>(t) * in);
  for (float& e : x) e = d(rng);
  return x;
}

enum class Design { kBf16, kW8a8, kWidenF32 };

#if defined(__AVX512F__)
// Design (b): rows [r0, r1) for kT tokens; in % 32 == 0 (every shape here).
template <int kT>
void widen_rows(const float* x, int in, const std::int8_t* q, const float* scales, int out,
                float* y, int r0, int r1) {
  for (int r = r0; r < r1; ++r) {
    const std::int8_t* w = q + static_cast<std::size_t>(r) * in;
    __m512 a0[kT], a1[kT];
    for (int t = 0; t < kT; ++t) a0[t] = a1[t] = _mm512_setzero_ps();
    for (int k = 0; k < in; k += 32) {
      _mm_prefetch(reinterpret_cast<const char*>(w + k) + 2048, _MM_HINT_T0);
      const __m512 w0 = _mm512_cvtepi32_ps(
          _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + k))));
      const __m512 w1 = _mm512_cvtepi32_ps(
          _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + k + 16))));
      for (int t = 0; t < kT; ++t) {
        const float* xt = x + static_cast<std::size_t>(t) * in + k;
        a0[t] = _mm512_fmadd_ps(_mm512_loadu_ps(xt), w0, a0[t]);
        a1[t] = _mm512_fmadd_ps(_mm512_loadu_ps(xt + 16), w1, a1[t]);
      }
    }
    for (int t = 0; t < kT; ++t)
      y[static_cast<std::size_t>(t) * out + r] =
          _mm512_reduce_add_ps(_mm512_add_ps(a0[t], a1[t])) * scales[r];
  }
}
#endif

void widen_f32(const float* x, int t, int in, const WeightMatrix& w, float* y, ThreadPool& pool) {
#if defined(__AVX512F__)
  const int rows = std::max(1, 65536 / in);
  const int out = static_cast<int>(w.rows());
  const auto ref = w.ref();
  pool.parallel_for((out + rows - 1) / rows, [&](int i) {
    const int r0 = i * rows, r1 = std::min(out, r0 + rows);
    if (t == 1) {
      widen_rows<1>(x, in, ref.i8(), ref.scales, out, y, r0, r1);
    } else {
      widen_rows<8>(x, in, ref.i8(), ref.scales, out, y, r0, r1);
    }
  });
#else
  (void)x, (void)t, (void)in, (void)w, (void)y, (void)pool;
#endif
}

void BM_Gemv(benchmark::State& state, Design design, int shape, int t) {
  const Shape& sh = kShapes[shape];
  Set& s = set_for(shape);
  const auto x = activations(t, sh.in);
  std::vector<float> y(static_cast<std::size_t>(t) * sh.out);
  ThreadPool& pool = ThreadPool::shared();
  std::size_t c = 0;
  for (auto _ : state) {
    c = (c + 1) % s.i8.size();
    if (design == Design::kWidenF32) {
      widen_f32(x.data(), t, sh.in, s.i8[c], y.data(), pool);
    } else {
      const WeightMatrix& w = design == Design::kBf16 ? s.bf16[c] : s.i8[c];
      const Projection p{w.ref(), sh.out, y.data(), 0.0f};
      if (design == Design::kBf16) {
        odma::model::cpu::linear_bf16_fused(x.data(), t, sh.in, {&p, 1}, pool);
      } else {
        odma::model::cpu::linear_int8_fused(x.data(), t, sh.in, {&p, 1}, pool);
      }
    }
    benchmark::DoNotOptimize(y.data());
  }
  const double bytes = static_cast<double>(sh.out) * sh.in * (design == Design::kBf16 ? 2 : 1);
  state.counters["GB/s"] =
      benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["tok/s"] = benchmark::Counter(t, benchmark::Counter::kIsIterationInvariantRate);
}

const bool registered = [] {
  const std::pair<Design, const char*> designs[] = {
      {Design::kBf16, "bf16"}, {Design::kW8a8, "w8a8"}, {Design::kWidenF32, "widen_f32"}};
  for (int shape = 0; shape < 4; ++shape) {
    for (const auto& [design, name] : designs) {
      for (int t : {1, 8, 128, 512}) {
        if (design == Design::kWidenF32 && t > 8) continue;  // a GEMV only
#if !defined(__AVX512F__)
        if (design == Design::kWidenF32) continue;
#endif
        if (shape == 3 && t > 8) continue;  // the head runs for the last token of each sequence
        const std::string label =
            std::string(name) + "/" + kShapes[shape].name + "/t" + std::to_string(t);
        benchmark::RegisterBenchmark(label.c_str(), BM_Gemv, design, shape, t)
            ->Unit(benchmark::kMicrosecond)
            ->UseRealTime();
      }
    }
  }
  return true;
}();

}  // namespace
