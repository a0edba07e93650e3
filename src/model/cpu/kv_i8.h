// INT8 K/V rows: each row (one token in one (layer, K|V, kv-head) plane of kv_storage.h) is
// quantized symmetrically with its own F32 scale, as llama.cpp's q8_0 does per 32 values and vLLM's
// FP8 KV per tensor; a row scale keeps every value of a head on one grid at 1 + 4/head_dim bytes:
//   scale = max_d |x[d]| / 127,   q[d] = round_half_even(x[d] · (127 / max_d |x[d]|)) ∈ [-127, 127]
// (a zero row: scale 0, q 0). Dequantized x̂[d] = q[d] · scale, |x̂[d] − x[d]| ≤ scale / 2 up to one
// rounding of the reciprocal. −128 is never stored, so a kernel may negate or offset bytes freely.
#pragma once

#include <cstddef>
#include <cstdint>

namespace odma::model::cpu {

// Quantizes x[0, n) into q; returns the scale.
float quantize_kv_row(const float* x, int n, std::int8_t* q);

// rows [n][head_dim] F32, row i at rows + i × row_stride → slots [slot, slot + n) of one INT8 plane
// and its scale plane.
void store_kv_i8(std::int8_t* plane, float* scales, int head_dim, std::int64_t slot,
                 const float* rows, int n, std::size_t row_stride);

}  // namespace odma::model::cpu
