#include "model/int8_weights.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "base/error.h"

namespace odma::model {

void quantize_row_int8(WeightMatrix& m, std::int64_t r, const float* values) {
  const std::size_t n = static_cast<std::size_t>(m.cols());
  float amax = 0.0f;
  for (std::size_t c = 0; c < n; ++c) amax = std::max(amax, std::abs(values[c]));
  const float scale = amax / 127.0f;
  std::int8_t* q = m.mutable_i8() + static_cast<std::size_t>(r) * n;
  std::int32_t sum = 0;
  for (std::size_t c = 0; c < n; ++c) {
    // Division, not a multiply by 127 / amax: the rounding point is then exactly w / scale.
    const float v = scale == 0.0f ? 0.0f : std::nearbyint(values[c] / scale);
    q[c] = static_cast<std::int8_t>(std::clamp(v, -127.0f, 127.0f));
    sum += q[c];
  }
  m.mutable_scales()[r] = scale;
  m.mutable_row_sums()[r] = sum;
}

WeightMatrix quantize_int8(const WeightMatrix& m) {
  if (m.dtype() != DType::kF32 && m.dtype() != DType::kBF16)
    throw Error("quantize_int8: the matrix must be F32 or BF16");
  WeightMatrix out(DType::kI8, m.rows(), m.cols());
  std::vector<float> row(static_cast<std::size_t>(m.cols()));
  for (std::int64_t r = 0; r < m.rows(); ++r) {
    m.row_to_f32(r, row.data());
    quantize_row_int8(out, r, row.data());
  }
  return out;
}

}  // namespace odma::model
