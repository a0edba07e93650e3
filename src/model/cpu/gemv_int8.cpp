#include "model/cpu/gemv_int8.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "base/error.h"
#include "model/cpu/kernels_internal.h"

namespace odma::model::cpu {
namespace {

// The zero point of a prepared activation byte: VNNI multiplies unsigned bytes (xq + 128).
std::uint8_t zero_point(Int8Kernel k) {
  return k == Int8Kernel::kAvx512Vnni ? 128 : 0;
}

void gemv_scalar(const detail::Int8GemvArgs& a) {
  const std::size_t in = static_cast<std::size_t>(a.in);
  for (int r = a.row_begin; r < a.row_end; ++r) {
    const std::int8_t* q = a.q + static_cast<std::size_t>(r) * in;
    for (int i = 0; i < a.t; ++i) {
      const auto* x =
          reinterpret_cast<const std::int8_t*>(a.x + static_cast<std::size_t>(i) * a.xs);
      std::int32_t dot = 0;
      for (std::size_t k = 0; k < in; ++k) dot += static_cast<std::int32_t>(x[k]) * q[k];
      float& dst = a.y[static_cast<std::size_t>(i) * static_cast<std::size_t>(a.out) +
                       static_cast<std::size_t>(r)];
      const float v = static_cast<float>(dot) * (a.x_scales[i] * a.scales[r]);
      dst = a.beta == 0.0f ? v : v + a.beta * dst;
    }
  }
}

}  // namespace

Int8Kernel default_int8_kernel(Isa isa) {
  if (isa >= Isa::kAvx512Bf16 && cpu_features().avx512vnni) return Int8Kernel::kAvx512Vnni;
  return isa >= Isa::kAvx2 ? Int8Kernel::kAvx2 : Int8Kernel::kScalar;
}

bool int8_kernel_supported(Int8Kernel kernel) {
  switch (kernel) {
    case Int8Kernel::kScalar:
      return true;
    case Int8Kernel::kAvx2:
      return isa_supported(Isa::kAvx2);
    case Int8Kernel::kAvx512Vnni:
      return isa_supported(Isa::kAvx512) && cpu_features().avx512vnni;
  }
  return false;
}

const char* int8_kernel_name(Int8Kernel kernel) {
  switch (kernel) {
    case Int8Kernel::kScalar:
      return "scalar";
    case Int8Kernel::kAvx2:
      return "avx2";
    case Int8Kernel::kAvx512Vnni:
      return "avx512vnni";
  }
  return "?";
}

void Int8Activations::reset(int t, int in, Int8Kernel kernel) {
  if (t < 1 || in < 1 || in > kInt8MaxIn) {
    throw Error("Int8Activations: need t ≥ 1 and 1 ≤ in ≤ " + std::to_string(kInt8MaxIn) + " (t " +
                std::to_string(t) + ", in " + std::to_string(in) + ")");
  }
  t_ = t;
  in_ = in;
  kernel_ = kernel;
  stride_ = (static_cast<std::size_t>(in) + 63) / 64 * 64;
  bytes_.reserve(stride_ * static_cast<std::size_t>(t));
  scales_.reserve(static_cast<std::size_t>(t));
}

void Int8Activations::quantize(const float* x, int r0, int r1) {
  const std::size_t in = static_cast<std::size_t>(in_);
  const std::uint8_t zp = zero_point(kernel_);
  for (int i = r0; i < r1; ++i) {
    const float* src = x + static_cast<std::size_t>(i) * in;
    std::uint8_t* dst = bytes_.data() + static_cast<std::size_t>(i) * stride_;
    float amax = 0.0f;
    for (std::size_t k = 0; k < in; ++k) amax = std::max(amax, std::abs(src[k]));
    const float inv = amax == 0.0f ? 0.0f : 127.0f / amax;
    for (std::size_t k = 0; k < in; ++k) {
      // |src · inv| ≤ 127 up to one rounding of inv: the clamp keeps the byte in range.
      const float v = std::clamp(std::nearbyint(src[k] * inv), -127.0f, 127.0f);
      dst[k] = static_cast<std::uint8_t>(static_cast<int>(v) + zp);
    }
    std::memset(dst + in, zp, stride_ - in);
    scales_.data()[i] = amax / 127.0f;
  }
}

void gemv_int8(const Int8Activations& x, int t0, int t, const std::int8_t* q, const float* scales,
               const std::int32_t* row_sums, int out, float* y, float beta, int row_begin,
               int row_end) {
  if (t < 1 || t > 8 || t0 < 0 || t0 + t > x.t() || row_begin < 0 || row_end > out ||
      row_begin > row_end) {
    throw Error("gemv_int8: tokens [" + std::to_string(t0) + ", +" + std::to_string(t) +
                ") or rows [" + std::to_string(row_begin) + ", " + std::to_string(row_end) +
                ") out of range");
  }
  if (!int8_kernel_supported(x.kernel())) {
    throw Error(std::string("gemv_int8: kernel ") + int8_kernel_name(x.kernel()) +
                " needs an ISA this CPU lacks");
  }
  if (row_begin == row_end) return;
  const detail::Int8GemvArgs a{x.row(t0),
                               x.stride(),
                               x.scales() + t0,
                               t,
                               q,
                               scales,
                               row_sums,
                               x.in(),
                               out,
                               y + static_cast<std::size_t>(t0) * static_cast<std::size_t>(out),
                               beta,
                               row_begin,
                               row_end};
  switch (x.kernel()) {
    case Int8Kernel::kScalar:
      return gemv_scalar(a);
    case Int8Kernel::kAvx2:
      return detail::gemv_int8_avx2(a);
    case Int8Kernel::kAvx512Vnni:
      return detail::gemv_int8_avx512vnni(a);
  }
}

}  // namespace odma::model::cpu
