// BF16 (bfloat16) values and conversions. A BF16 value is the upper 16 bits of an IEEE F32: same
// exponent range, 8 significant bits (unit roundoff u = 2^-8 under round-to-nearest-even).
// Storage type: std::uint16_t (K/V planes and weights are arrays of it).
//
// to_bf16 rounds to nearest, ties to even; NaN stays NaN (quieted, sign kept); ±Inf stays ±Inf;
// F32 values that round above the BF16 maximum become ±Inf; subnormals round like any other
// value (no flush). to_f32 is exact. The bulk converters give exactly the scalar result on every
// path (integer rounding, not vcvtneps2bf16, which flushes subnormal inputs to zero).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "model/cpu/cpu_features.h"

namespace odma::model::cpu {

inline std::uint16_t to_bf16(float f) noexcept {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<std::uint16_t>((u >> 16) | 0x40u);
  u += 0x7FFFu + ((u >> 16) & 1u);
  return static_cast<std::uint16_t>(u >> 16);
}

inline float to_f32(std::uint16_t h) noexcept {
  const std::uint32_t u = static_cast<std::uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// dst[i] = to_bf16(src[i]) / to_f32(src[i]) for i < n, on the best kernel `isa` allows (the
// result is the same on all). Throws odma::Error if `isa` is above detected_isa().
void convert_f32_to_bf16(const float* src, std::uint16_t* dst, std::size_t n,
                         Isa isa = active_isa());
void convert_bf16_to_f32(const std::uint16_t* src, float* dst, std::size_t n,
                         Isa isa = active_isa());

}  // namespace odma::model::cpu
