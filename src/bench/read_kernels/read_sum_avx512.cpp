// The AVX-512 read kernel (compiled with -mavx512f ...): 64-byte loads into eight independent
// vpaddq chains, 512 bytes (8 cache lines) per iteration.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "bench/read_kernels/read_sum.h"

namespace odma::bench::detail {

std::uint64_t read_sum_avx512(const std::byte* data, std::size_t bytes) {
  __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0,
          a7 = a0;
  std::size_t i = 0;
  for (; i + 512 <= bytes; i += 512) {
    const auto* p = reinterpret_cast<const __m512i*>(data + i);
    a0 = _mm512_add_epi64(a0, _mm512_loadu_si512(p));
    a1 = _mm512_add_epi64(a1, _mm512_loadu_si512(p + 1));
    a2 = _mm512_add_epi64(a2, _mm512_loadu_si512(p + 2));
    a3 = _mm512_add_epi64(a3, _mm512_loadu_si512(p + 3));
    a4 = _mm512_add_epi64(a4, _mm512_loadu_si512(p + 4));
    a5 = _mm512_add_epi64(a5, _mm512_loadu_si512(p + 5));
    a6 = _mm512_add_epi64(a6, _mm512_loadu_si512(p + 6));
    a7 = _mm512_add_epi64(a7, _mm512_loadu_si512(p + 7));
  }
  const __m512i s =
      _mm512_add_epi64(_mm512_add_epi64(_mm512_add_epi64(a0, a1), _mm512_add_epi64(a2, a3)),
                       _mm512_add_epi64(_mm512_add_epi64(a4, a5), _mm512_add_epi64(a6, a7)));
  // Through memory: GCC 12's _mm512_reduce_add_epi64 trips -Wuninitialized in its own header.
  alignas(64) std::uint64_t lanes[8];
  _mm512_store_si512(lanes, s);
  std::uint64_t sum = 0;
  for (std::uint64_t lane : lanes) sum += lane;
  return sum + read_sum_scalar(data + i, bytes - i);
}

}  // namespace odma::bench::detail
