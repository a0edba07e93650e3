// INT8 weights (`--quantization int8`): per output row symmetric quantization,
//   scale[r] = max_c |w[r][c]| / 127,   q[r][c] = round_half_even(w[r][c] / scale[r]) ∈ [-127, 127]
// (a zero row gets scale 0 and q 0), so |w − scale·q| ≤ scale / 2 per value. The row is the
// output channel of y = x · Wᵀ: its scale multiplies a whole dot product once, after the integer
// accumulation (linear_int8.h).
#pragma once

#include <cstddef>
#include <cstdint>

#include "model/weight_matrix.h"

namespace odma::model {

// Quantizes row r of `m` (kI8) from `values` (cols F32 values): values, scale and row sum.
void quantize_row_int8(WeightMatrix& m, std::int64_t r, const float* values);

// An F32 or BF16 matrix quantized row by row (tests and in-memory models; loading quantizes each
// checkpoint tensor directly, weights.cpp).
WeightMatrix quantize_int8(const WeightMatrix& m);

}  // namespace odma::model
