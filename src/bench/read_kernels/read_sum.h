// The read kernels of the STREAM-style probe (bench/stream_read.h dispatches), one translation
// unit per ISA, each compiled with its own -m flags (cmake/OdmaCpuKernels.cmake) in a library built
// for the x86-64-v2 baseline, so one binary runs on AVX2-only and AVX-512 hosts alike.
//
// Each returns the sum mod 2^64 of the little-endian 64-bit words of [data, data + bytes), the
// last partial word zero-padded: a sum (not a XOR) so that a byte read twice or skipped changes it.
// The ISA files follow src/model/cpu/kernels_internal.h's rules (no inline or template function
// of the standard library: its AVX-512 copy could be kept for baseline callers).
#pragma once

#include <cstddef>
#include <cstdint>

namespace odma::bench::detail {

std::uint64_t read_sum_scalar(const std::byte* data, std::size_t bytes);
std::uint64_t read_sum_avx2(const std::byte* data, std::size_t bytes);    // 32-byte loads
std::uint64_t read_sum_avx512(const std::byte* data, std::size_t bytes);  // 64-byte loads

}  // namespace odma::bench::detail
