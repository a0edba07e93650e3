// The dispatchers and the scalar kernels of pointwise.h. Built at the x86-64-v2 baseline with
// -ffp-contract=off (cmake/OdmaCpuKernels.cmake), like the AVX-512 file: no FMA but the explicit
// ones (std::fma: glibc picks the FMA instruction where the CPU has it, an exact emulation
// otherwise), so the two paths agree bit for bit.
#include "model/cpu/pointwise.h"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "model/cpu/pointwise_internal.h"

namespace odma::model::cpu {
namespace {

double sum_squares(const float* x, int n) {
  double lanes[16] = {};
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    for (int k = 0; k < 16; ++k) lanes[k] += static_cast<double>(x[i + k]) * x[i + k];
  }
  for (int k = 0; i + k < n; ++k) lanes[k] += static_cast<double>(x[i + k]) * x[i + k];
  double sum = 0.0;
  for (const double l : lanes) sum += l;
  return sum;
}

#include "model/cpu/exp_scalar.inc"

}  // namespace

void rms_norm_row(const float* x, int n, const float* w, float eps, float* y, Isa isa) {
  require_isa(isa, "rms_norm_row");
  const bool simd = isa >= Isa::kAvx512;
  const double ss = simd ? detail::sum_squares_avx512(x, n) : sum_squares(x, n);
  const auto r = static_cast<float>(1.0 / std::sqrt(ss / n + static_cast<double>(eps)));
  if (simd) return detail::scale_mul_avx512(x, r, w, y, n);
  for (int i = 0; i < n; ++i) y[i] = x[i] * r * w[i];
}

void rope_row(float* x, int heads, int head_dim, const float* cos, const float* sin, Isa isa) {
  require_isa(isa, "rope_row");
  if (isa >= Isa::kAvx512) return detail::rope_row_avx512(x, heads, head_dim, cos, sin);
  const int half = head_dim / 2;
  for (int h = 0; h < heads; ++h) {
    float* v = x + static_cast<std::size_t>(h) * static_cast<std::size_t>(head_dim);
    for (int j = 0; j < half; ++j) {
      const float a = v[j], b = v[j + half];
      v[j] = std::fma(a, cos[j], -(b * sin[j]));
      v[j + half] = std::fma(b, cos[j], a * sin[j]);
    }
  }
}

void swiglu_row(float* gate, const float* up, std::size_t n, Isa isa) {
  require_isa(isa, "swiglu_row");
  if (isa >= Isa::kAvx512) return detail::swiglu_avx512(gate, up, n);
  for (std::size_t i = 0; i < n; ++i) {
    const float g = gate[i];
    const float e = exp_nonpositive(-std::fabs(g));
    const float d = 1.0f + e;
    gate[i] = (g < 0.0f ? (g * e) / d : g / d) * up[i];
  }
}

}  // namespace odma::model::cpu
