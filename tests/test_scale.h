// Test sizes scale with $ODMA_TEST_SCALE (default 1): the sanitizer CI job runs long loops at 0.1.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>

namespace odma::testing {

inline double test_scale() {
  const char* s = std::getenv("ODMA_TEST_SCALE");
  double v = s != nullptr ? std::atof(s) : 1.0;
  return v > 0 ? v : 1.0;
}

// `n` scaled, never below `minimum`.
inline std::int64_t scaled(std::int64_t n, std::int64_t minimum = 1) {
  return std::max<std::int64_t>(minimum,
                                static_cast<std::int64_t>(static_cast<double>(n) * test_scale()));
}

}  // namespace odma::testing
