#include "model/cpu/bf16.h"

#include <string>

#include "base/error.h"
#include "model/cpu/kernels_internal.h"

namespace odma::model::cpu {
namespace {

void require(Isa isa, const char* what) {
  if (!isa_supported(isa)) {
    throw Error(std::string(what) + ": " + isa_name(isa) + " is not available on this CPU");
  }
}

}  // namespace

void convert_f32_to_bf16(const float* src, std::uint16_t* dst, std::size_t n, Isa isa) {
  require(isa, "convert_f32_to_bf16");
  if (isa >= Isa::kAvx512) return detail::f32_to_bf16_avx512(src, dst, n);
  if (isa >= Isa::kAvx2) return detail::f32_to_bf16_avx2(src, dst, n);
  for (std::size_t i = 0; i < n; ++i) dst[i] = to_bf16(src[i]);
}

void convert_bf16_to_f32(const std::uint16_t* src, float* dst, std::size_t n, Isa isa) {
  require(isa, "convert_bf16_to_f32");
  if (isa >= Isa::kAvx512) return detail::bf16_to_f32_avx512(src, dst, n);
  if (isa >= Isa::kAvx2) return detail::bf16_to_f32_avx2(src, dst, n);
  for (std::size_t i = 0; i < n; ++i) dst[i] = to_f32(src[i]);
}

}  // namespace odma::model::cpu
