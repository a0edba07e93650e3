#include "model/cpu/kv_i8.h"

#include <algorithm>
#include <cmath>

namespace odma::model::cpu {

float quantize_kv_row(const float* x, int n, std::int8_t* q) {
  float amax = 0.0f;
  for (int d = 0; d < n; ++d) amax = std::max(amax, std::abs(x[d]));
  const float inv = amax == 0.0f ? 0.0f : 127.0f / amax;
  for (int d = 0; d < n; ++d) {
    // |x · inv| ≤ 127 up to one rounding of inv: the clamp keeps −128 out.
    q[d] = static_cast<std::int8_t>(std::clamp(std::nearbyint(x[d] * inv), -127.0f, 127.0f));
  }
  return amax / 127.0f;
}

void store_kv_i8(std::int8_t* plane, float* scales, int head_dim, std::int64_t slot,
                 const float* rows, int n, std::size_t row_stride) {
  const std::size_t hd = static_cast<std::size_t>(head_dim);
  for (int i = 0; i < n; ++i) {
    const std::size_t s = static_cast<std::size_t>(slot + i);
    scales[s] =
        quantize_kv_row(rows + static_cast<std::size_t>(i) * row_stride, head_dim, plane + s * hd);
  }
}

}  // namespace odma::model::cpu
