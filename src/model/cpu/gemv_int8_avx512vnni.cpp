// INT8 GEMV, AVX512-VNNI (compiled with the AVX-512 flags and -mavx512vnni): vpdpbusd of 64
// activation bytes (xq + 128, unsigned) against 64 weights (signed) per block, four products
// summed into each int32 lane; the masked tail block loads zero weights, so the padding
// contributes nothing. Σ (xq + 128) · q = Σ xq · q + 128 · Σ q, so the row sum is subtracted at
// the end. Arithmetic: gemv_int8.h. Rules for this file: kernels_internal.h.
#include <immintrin.h>

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which -W(maybe-)uninitialized
// flags (a false positive) once they are inlined here.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <cstddef>
#include <cstdint>

#include "model/cpu/kernels_internal.h"

namespace odma::model::cpu::detail {
namespace {

#include "model/cpu/simd_avx512.inc"

// An INT8 row is consumed twice as fast as a BF16 one: fetching 4 KiB ahead instead of
// kPrefetchBytes (2 KiB) was ~6% faster streaming from DRAM (t = 1, one thread; 8 KiB no better).
constexpr int kInt8PrefetchBytes = 4096;

template <int kT>
__attribute__((always_inline)) inline void block(__m512i (&acc)[kT], __m512i w,
                                                 const std::uint8_t* x, std::size_t xs) {
#pragma GCC unroll 8
  for (int t = 0; t < kT; ++t)
    acc[t] =
        _mm512_dpbusd_epi32(acc[t], _mm512_loadu_si512(x + static_cast<std::size_t>(t) * xs), w);
}

// The lane sums of n ≤ 8 vectors at once (the shuffle tree of hsum8 in simd_avx512.inc, on
// integers: exact, so the tree's shape does not matter).
__attribute__((always_inline)) inline void hsum8_epi32(const __m512i* a, std::int32_t* out, int n) {
  const auto ps = [](__m512i v) { return _mm512_castsi512_ps(v); };
  const auto si = [](__m512 v) { return _mm512_castps_si512(v); };
  __m512i b[4], c[2];
  for (int j = 0; j < 4; ++j) {
    const __m512 x = ps(a[2 * j]), y = ps(a[2 * j + 1]);
    b[j] = _mm512_add_epi32(si(_mm512_shuffle_f32x4(x, y, 0x44)),
                            si(_mm512_shuffle_f32x4(x, y, 0xEE)));
  }
  for (int k = 0; k < 2; ++k) {
    const __m512 x = ps(b[2 * k]), y = ps(b[2 * k + 1]);
    c[k] = _mm512_add_epi32(si(_mm512_shuffle_f32x4(x, y, 0x88)),
                            si(_mm512_shuffle_f32x4(x, y, 0xDD)));
  }
  const __m512 c0 = ps(c[0]), c1 = ps(c[1]);
  const __m512i d =
      _mm512_add_epi32(si(_mm512_shuffle_ps(c0, c1, 0x88)), si(_mm512_shuffle_ps(c0, c1, 0xDD)));
  const __m512 dp = ps(d);
  const __m512i e =
      _mm512_add_epi32(si(_mm512_shuffle_ps(dp, dp, 0x88)), si(_mm512_shuffle_ps(dp, dp, 0xDD)));
  alignas(64) std::int32_t buf[16];
  _mm512_store_si512(buf, e);
  // 128-bit lane m holds [sum of vector m, sum of vector 4 + m, ...].
  for (int g = 0; g < n; ++g) out[g] = buf[4 * (g % 4) + g / 4];
}

// kR rows from row r on, kT tokens; kChains accumulators per (row, token), blocks dealt round robin
// (more independent vpdpbusd chains where kR · kT is small; sums are exact, so any split will do).
template <int kT, int kR, int kChains>
__attribute__((always_inline)) inline void row_block(const Int8GemvArgs& a, int r) {
  constexpr int kAcc = kR * kT;
  const std::size_t in = static_cast<std::size_t>(a.in);
  const int full = a.in / 64;
  const int tail = a.in % 64;
  const std::int8_t* w[kR];
  for (int i = 0; i < kR; ++i) w[i] = a.q + static_cast<std::size_t>(r + i) * in;
  __m512i acc[kChains][kR][kT];
#pragma GCC unroll 16
  for (int c = 0; c < kChains; ++c)
    for (int i = 0; i < kR; ++i)
      for (int t = 0; t < kT; ++t) acc[c][i][t] = _mm512_setzero_si512();
  int b = 0;
  for (; b + kChains <= full; b += kChains) {
#pragma GCC unroll 2
    for (int c = 0; c < kChains; ++c) {
#pragma GCC unroll 2
      for (int i = 0; i < kR; ++i) {
        const std::int8_t* wp = w[i] + 64 * (b + c);
        prefetch(wp + kInt8PrefetchBytes);
        block<kT>(acc[c][i], _mm512_loadu_si512(wp), a.x + 64 * (b + c), a.xs);
      }
    }
  }
  for (; b < full; ++b)
    for (int i = 0; i < kR; ++i)
      block<kT>(acc[0][i], _mm512_loadu_si512(w[i] + 64 * b), a.x + 64 * b, a.xs);
  if (tail != 0) {  // zero weights beyond the row: the activations' padding adds nothing
    const __mmask64 mask = (__mmask64{1} << tail) - 1;
    for (int i = 0; i < kR; ++i)
      block<kT>(acc[0][i], _mm512_maskz_loadu_epi8(mask, w[i] + 64 * full), a.x + 64 * full, a.xs);
  }
  __m512i sums[kAcc > 8 ? 16 : 8];
#pragma GCC unroll 16
  for (int s = 0; s < (kAcc > 8 ? 16 : 8); ++s) {
    if (s >= kAcc) {
      sums[s] = _mm512_setzero_si512();
      continue;
    }
    sums[s] = acc[0][s / kT][s % kT];
    for (int c = 1; c < kChains; ++c) sums[s] = _mm512_add_epi32(sums[s], acc[c][s / kT][s % kT]);
  }
  std::int32_t dots[16];
  hsum8_epi32(sums, dots, kAcc < 8 ? kAcc : 8);
  if (kAcc > 8) hsum8_epi32(sums + 8, dots + 8, kAcc - 8);
#pragma GCC unroll 2
  for (int i = 0; i < kR; ++i) {
    const int row = r + i;
    const std::int32_t offset = 128 * a.row_sums[row];
#pragma GCC unroll 8
    for (int t = 0; t < kT; ++t) {
      float& dst = a.y[static_cast<std::size_t>(t) * static_cast<std::size_t>(a.out) +
                       static_cast<std::size_t>(row)];
      const float v =
          static_cast<float>(dots[i * kT + t] - offset) * (a.x_scales[t] * a.scales[row]);
      dst = a.beta == 0.0f ? v : v + a.beta * dst;
    }
  }
}

// Up to 3 tokens: one row at a time, two chains (decode streams rows from DRAM; two rows side by
// side were ~25% slower there at t = 1, one thread). From 4 tokens: two rows share each activation
// load (prefill tiles run compute-bound from cache).
template <int kT>
void rows(const Int8GemvArgs& a) {
  if constexpr (kT < 4) {
    for (int r = a.row_begin; r < a.row_end; ++r) row_block<kT, 1, 2>(a, r);
  } else {
    int r = a.row_begin;
    for (; r + 2 <= a.row_end; r += 2) row_block<kT, 2, 1>(a, r);
    if (r < a.row_end) row_block<kT, 1, 1>(a, r);
  }
}

}  // namespace

void gemv_int8_avx512vnni(const Int8GemvArgs& a) {
  switch (a.t) {
    case 1:
      return rows<1>(a);
    case 2:
      return rows<2>(a);
    case 3:
      return rows<3>(a);
    case 4:
      return rows<4>(a);
    case 5:
      return rows<5>(a);
    case 6:
      return rows<6>(a);
    case 7:
      return rows<7>(a);
    default:
      return rows<8>(a);
  }
}

}  // namespace odma::model::cpu::detail
