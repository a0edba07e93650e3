#include "server/prometheus_buckets.h"

namespace odma::server::prometheus {

std::vector<double> buckets_1_2_5(std::int64_t max_value) {
  std::vector<double> out;
  // Mantissas 1, 2, 5 times 10^e, stopping at the first value above max_value (as vLLM does).
  for (std::int64_t scale = 1; scale <= max_value; scale *= 10) {
    for (const std::int64_t m : {1, 2, 5}) {
      if (m * scale > max_value) return out;
      out.push_back(static_cast<double>(m * scale));
    }
    if (scale > max_value / 10) break;  // the next scale would overflow or exceed max_value
  }
  return out;
}

}  // namespace odma::server::prometheus
