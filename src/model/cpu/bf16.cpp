#include "model/cpu/bf16.h"

#include "model/cpu/kernels_internal.h"

namespace odma::model::cpu {

void convert_f32_to_bf16(const float* src, std::uint16_t* dst, std::size_t n, Isa isa) {
  require_isa(isa, "convert_f32_to_bf16");
  if (isa >= Isa::kAvx512) return detail::f32_to_bf16_avx512(src, dst, n);
  if (isa >= Isa::kAvx2) return detail::f32_to_bf16_avx2(src, dst, n);
  for (std::size_t i = 0; i < n; ++i) dst[i] = to_bf16(src[i]);
}

void convert_bf16_to_f32(const std::uint16_t* src, float* dst, std::size_t n, Isa isa) {
  require_isa(isa, "convert_bf16_to_f32");
  if (isa >= Isa::kAvx512) return detail::bf16_to_f32_avx512(src, dst, n);
  if (isa >= Isa::kAvx2) return detail::bf16_to_f32_avx2(src, dst, n);
  for (std::size_t i = 0; i < n; ++i) dst[i] = to_f32(src[i]);
}

}  // namespace odma::model::cpu
