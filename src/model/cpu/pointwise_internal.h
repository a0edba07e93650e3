// Entry points of pointwise_avx512.cpp, for pointwise.cpp's dispatch only (not a public API). Plain
// declarations, so the ISA file may include this header (rule: kernels_internal.h).
#pragma once

#include <cstddef>

namespace odma::model::cpu::detail {

double sum_squares_avx512(const float* x, int n);  // the 16 lane order of pointwise.h
void scale_mul_avx512(const float* x, float r, const float* w, float* y, int n);
void rope_row_avx512(float* x, int heads, int head_dim, const float* cos, const float* sin);
void swiglu_avx512(float* gate, const float* up, std::size_t n);

}  // namespace odma::model::cpu::detail
