// Small vector kernels shared by attention and the forward pass. AVX-512 where the build has it
// (-march=native), plain loops otherwise. Results do not depend on how a sequence's positions are
// split into runs, so contiguous and paged attention agree bit for bit.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

// GCC 12's AVX-512 reductions use _mm256_undefined_*(), which -Wmaybe-uninitialized flags falsely.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace odma::model::cpu {

inline float dot(const float* a, const float* b, int n) {
#if defined(__AVX512F__)
  if (n % 16 == 0) {
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int i = 0;
    for (; i + 32 <= n; i += 32) {
      acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
      acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
    }
    if (i < n) acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
  }
#endif
  float s = 0.0f;
  for (int i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

// y += w * x
inline void axpy(float* y, float w, const float* x, int n) {
#if defined(__AVX512F__)
  if (n % 16 == 0) {
    const __m512 vw = _mm512_set1_ps(w);
    for (int i = 0; i < n; i += 16) {
      _mm512_storeu_ps(y + i, _mm512_fmadd_ps(vw, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
    }
    return;
  }
#endif
  for (int i = 0; i < n; ++i) y[i] += w * x[i];
}

// exp(x) for x <= 0 (softmax after subtracting the max): Cephes expf polynomial, ~1 ulp. Written
// as branch-free scalar code so the softmax loop vectorises; std::exp would dominate decode time.
inline float exp_nonpositive(float x) {
  x = std::max(x, -87.0f);
  const float n = std::floor(x * 1.44269504088896341f + 0.5f);
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const std::int32_t bits = (static_cast<std::int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

#if defined(__AVX512F__)
// exp_nonpositive on 16 lanes with the very same operations (no FMA contraction), so vector and
// scalar lanes give identical bits.
inline __m512 exp_nonpositive16(__m512 x) {
  x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
  const __m512 n = _mm512_roundscale_ps(
      _mm512_add_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _mm512_set1_ps(0.5f)),
      _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  const __m512 r = _mm512_add_ps(_mm512_sub_ps(x, _mm512_mul_ps(n, _mm512_set1_ps(0.693359375f))),
                                 _mm512_mul_ps(n, _mm512_set1_ps(2.12194440e-4f)));
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(p, _mm512_mul_ps(r, r)), r), _mm512_set1_ps(1.0f));
  const __m512i bits =
      _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_mul_ps(p, _mm512_castsi512_ps(bits));
}
#endif

#if defined(__AVX512F__)
// Sums × scale of up to 8 vectors at once (missing ones are zero): folds 512→256→128 bits while
// packing vectors together, ~4 ops per sum instead of ~8 for separate reductions. Every row goes
// through the same tree whatever its slot, so sums never depend on how callers group vectors.
// GCC 12's shuffle intrinsics pass an _mm512_undefined_ps() that -W(maybe-)uninitialized flags.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
__attribute__((always_inline)) inline void hsum8(const __m512* a, float scale, float* out, int n) {
  __m512 b[4], c[2];
  for (int j = 0; j < 4; ++j) {
    const __m512 x = a[2 * j], y = a[2 * j + 1];
    b[j] = _mm512_add_ps(_mm512_shuffle_f32x4(x, y, 0x44), _mm512_shuffle_f32x4(x, y, 0xEE));
  }
  for (int k = 0; k < 2; ++k) {
    const __m512 x = b[2 * k], y = b[2 * k + 1];
    c[k] = _mm512_add_ps(_mm512_shuffle_f32x4(x, y, 0x88), _mm512_shuffle_f32x4(x, y, 0xDD));
  }
  const __m512 d =
      _mm512_add_ps(_mm512_shuffle_ps(c[0], c[1], 0x88), _mm512_shuffle_ps(c[0], c[1], 0xDD));
  const __m512 e = _mm512_add_ps(_mm512_shuffle_ps(d, d, 0x88), _mm512_shuffle_ps(d, d, 0xDD));
  alignas(64) float buf[16];
  _mm512_store_ps(buf, _mm512_mul_ps(e, _mm512_set1_ps(scale)));  // the same product per lane
  // 128-bit lane m holds [sum of vector m, sum of vector 4 + m, ...].
  for (int g = 0; g < n; ++g) out[g] = buf[4 * (g % 4) + g / 4];
}
#pragma GCC diagnostic pop

#endif

// In-place softmax over x[0..n). The max is exact in any order; the sum runs in 16 lane-wise
// partial sums in position order, folded in a fixed order, so the result depends only on n and the
// values (never on how a sequence is split into runs), while all three passes vectorise: the old
// scalar max and sum chains cost more than the exponentials in decode.
inline void softmax(float* x, int n) {
  int i = 0;
  float m = x[0];
#if defined(__AVX512F__)
  __m512 vmax = _mm512_set1_ps(x[0]);
  for (; i + 16 <= n; i += 16) vmax = _mm512_max_ps(vmax, _mm512_loadu_ps(x + i));
  m = _mm512_reduce_max_ps(vmax);
#endif
  for (; i < n; ++i) m = std::max(m, x[i]);
  i = 0;
  float sum = 0.0f;
#if defined(__AVX512F__)
  const __m512 vm = _mm512_set1_ps(m);
  __m512 vsum = _mm512_setzero_ps();
  for (; i + 16 <= n; i += 16) {
    const __m512 e = exp_nonpositive16(_mm512_sub_ps(_mm512_loadu_ps(x + i), vm));
    _mm512_storeu_ps(x + i, e);
    vsum = _mm512_add_ps(vsum, e);
  }
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, vsum);
  for (float l : lanes) sum += l;
#endif
  for (; i < n; ++i) {
    x[i] = exp_nonpositive(x[i] - m);
    sum += x[i];
  }
  const float inv = 1.0f / sum;
  for (int j = 0; j < n; ++j) x[j] *= inv;
}

}  // namespace odma::model::cpu

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
