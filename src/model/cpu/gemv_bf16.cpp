#include "model/cpu/gemv_bf16.h"

#include <string>

#include "base/error.h"
#include "model/cpu/bf16.h"
#include "model/cpu/kernels_internal.h"

namespace odma::model::cpu {
namespace {

int block_len(GemvKernel k) {
  return k == GemvKernel::kAvx2 ? 16 : 32;
}

// kScalar: 8 partial sums per (row, token), p[k mod 8], folded ((p0+p1)+(p2+p3))+((p4+p5)+(p6+p7)).
void gemv_scalar(const float* x, int t, const std::uint16_t* w, int in, int out, float* y,
                 float beta, int r0, int r1) {
  for (int r = r0; r < r1; ++r) {
    const std::uint16_t* row = w + static_cast<std::size_t>(r) * static_cast<std::size_t>(in);
    for (int i = 0; i < t; ++i) {
      const float* xi = x + static_cast<std::size_t>(i) * static_cast<std::size_t>(in);
      float p[8] = {};
      int k = 0;
      for (; k + 8 <= in; k += 8)
        for (int j = 0; j < 8; ++j) p[j] += to_f32(row[k + j]) * xi[k + j];
      for (int j = 0; k < in; ++k, ++j) p[j] += to_f32(row[k]) * xi[k];
      const float dot = ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
      float& dst = y[static_cast<std::size_t>(i) * static_cast<std::size_t>(out) +
                     static_cast<std::size_t>(r)];
      dst = beta == 0.0f ? dot : dot + beta * dst;
    }
  }
}

}  // namespace

GemvKernel default_gemv_kernel(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return GemvKernel::kScalar;
    case Isa::kAvx2:
      return GemvKernel::kAvx2;
    case Isa::kAvx512:
      return GemvKernel::kAvx512;
    case Isa::kAvx512Bf16:
    case Isa::kAmx:
      return GemvKernel::kAvx512Bf16;
  }
  return GemvKernel::kScalar;
}

Isa required_isa(GemvKernel kernel) {
  switch (kernel) {
    case GemvKernel::kScalar:
      return Isa::kScalar;
    case GemvKernel::kAvx2:
      return Isa::kAvx2;
    case GemvKernel::kAvx512:
      return Isa::kAvx512;
    case GemvKernel::kAvx512Bf16:
      return Isa::kAvx512Bf16;
  }
  return Isa::kScalar;
}

const char* gemv_kernel_name(GemvKernel kernel) {
  switch (kernel) {
    case GemvKernel::kScalar:
      return "scalar";
    case GemvKernel::kAvx2:
      return "avx2";
    case GemvKernel::kAvx512:
      return "avx512";
    case GemvKernel::kAvx512Bf16:
      return "avx512bf16";
  }
  return "?";
}

void GemvInput::prepare(const float* x, int t, int in, GemvKernel kernel) {
  if (t < 1 || t > kGemvMaxTokens || in < 1) {
    throw Error("GemvInput: t must be in [1, " + std::to_string(kGemvMaxTokens) +
                "] and in ≥ 1 (t " + std::to_string(t) + ", in " + std::to_string(in) + ")");
  }
  t_ = t;
  in_ = in;
  kernel_ = kernel;
  x_ = x;
  if (kernel == GemvKernel::kScalar) {
    stride_ = static_cast<std::size_t>(in);
    return;
  }
  const int len = block_len(kernel);
  const std::size_t blocks = (static_cast<std::size_t>(in) + len - 1) / len;
  stride_ = blocks * static_cast<std::size_t>(len);
  const std::size_t total = stride_ * static_cast<std::size_t>(t);
  if (kernel == GemvKernel::kAvx512Bf16) {
    std::uint16_t* base = bf16_.reserve(total);
    for (int i = 0; i < t; ++i) {
      std::uint16_t* dst = base + static_cast<std::size_t>(i) * stride_;
      convert_f32_to_bf16(x + static_cast<std::size_t>(i) * static_cast<std::size_t>(in), dst,
                          static_cast<std::size_t>(in));
      for (std::size_t k = static_cast<std::size_t>(in); k < stride_; ++k) dst[k] = 0;
    }
    return;
  }
  float* base = f32_.reserve(total);
  const int half = len / 2;
  for (int i = 0; i < t; ++i) {
    const float* src = x + static_cast<std::size_t>(i) * static_cast<std::size_t>(in);
    float* dst = base + static_cast<std::size_t>(i) * stride_;
    for (std::size_t b = 0; b < blocks; ++b) {
      for (int j = 0; j < len; ++j) {
        const std::size_t k = b * static_cast<std::size_t>(len) + static_cast<std::size_t>(j);
        const float v = k < static_cast<std::size_t>(in) ? src[k] : 0.0f;
        dst[b * static_cast<std::size_t>(len) + static_cast<std::size_t>((j % 2) * half + j / 2)] =
            v;
      }
    }
  }
}

void gemv_bf16(const GemvInput& x, const std::uint16_t* w, int out, float* y, float beta,
               int row_begin, int row_end) {
  if (row_begin < 0 || row_end > out || row_begin > row_end) {
    throw Error("gemv_bf16: row range [" + std::to_string(row_begin) + ", " +
                std::to_string(row_end) + ") is outside [0, " + std::to_string(out) + ")");
  }
  if (!isa_supported(required_isa(x.kernel_))) {
    throw Error(std::string("gemv_bf16: kernel ") + gemv_kernel_name(x.kernel_) +
                " needs an ISA this CPU lacks");
  }
  if (row_begin == row_end) return;
  const detail::GemvArgs a{x.kernel_ == GemvKernel::kAvx512Bf16
                               ? static_cast<const void*>(x.bf16_.data())
                               : static_cast<const void*>(x.f32_.data()),
                           x.stride_,
                           x.t_,
                           w,
                           x.in_,
                           out,
                           y,
                           beta,
                           row_begin,
                           row_end};
  switch (x.kernel_) {
    case GemvKernel::kScalar:
      return gemv_scalar(x.x_, x.t_, w, x.in_, out, y, beta, row_begin, row_end);
    case GemvKernel::kAvx2:
      return detail::gemv_bf16_avx2(a);
    case GemvKernel::kAvx512:
      return detail::gemv_bf16_avx512(a);
    case GemvKernel::kAvx512Bf16:
      return detail::gemv_bf16_avx512bf16(a);
  }
}

void gemv_bf16(const float* x, int t, const std::uint16_t* w, int out, int in, float* y, float beta,
               int row_begin, int row_end, GemvKernel kernel) {
  thread_local GemvInput input;
  input.prepare(x, t, in, kernel);
  gemv_bf16(input, w, out, y, beta, row_begin, row_end);
}

}  // namespace odma::model::cpu
