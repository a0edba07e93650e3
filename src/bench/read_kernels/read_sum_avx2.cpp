// The AVX2 read kernel (compiled with -mavx2 -mfma): 32-byte loads into four independent vpaddq
// chains, 128 bytes per iteration.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "bench/read_kernels/read_sum.h"

namespace odma::bench::detail {

std::uint64_t read_sum_avx2(const std::byte* data, std::size_t bytes) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  std::size_t i = 0;
  for (; i + 128 <= bytes; i += 128) {
    const auto* p = reinterpret_cast<const __m256i*>(data + i);
    a0 = _mm256_add_epi64(a0, _mm256_loadu_si256(p));
    a1 = _mm256_add_epi64(a1, _mm256_loadu_si256(p + 1));
    a2 = _mm256_add_epi64(a2, _mm256_loadu_si256(p + 2));
    a3 = _mm256_add_epi64(a3, _mm256_loadu_si256(p + 3));
  }
  const __m256i s = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
  const __m128i h = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
  const std::uint64_t sum = static_cast<std::uint64_t>(_mm_cvtsi128_si64(h)) +
                            static_cast<std::uint64_t>(_mm_extract_epi64(h, 1));
  return sum + read_sum_scalar(data + i, bytes - i);
}

}  // namespace odma::bench::detail
