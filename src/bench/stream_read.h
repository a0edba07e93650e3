// The machine's sequential read bandwidth as STREAM measures it, the figure a memory-bound decode
// is bounded by: a fresh buffer of at least 4x the last-level cache (and 1 GiB), split into one
// contiguous share per pool thread (static partition, like STREAM's OpenMP schedule), every share
// read with the widest loads the CPU offers (bench/read_kernels/read_sum.h); best of repetitions.
//
//   GB/s = buffer bytes ÷ best seconds of one whole-buffer read, 1e9 bytes per GB
//
// It stands beside measure_read_gbps (kernels.h), which reads the very bytes a kernel streams with
// dynamically claimed 256 KiB pieces and 32-bit scalar sums: that figure is immune to where the OS
// placed the pages but can fall short of the machine's best (issue 19: 45 vs 53 GB/s).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "model/cpu/cpu_features.h"
#include "model/cpu/thread_pool.h"

namespace odma::bench {

struct StreamRead {
  double gbps = 0.0;
  std::int64_t buffer_bytes = 0;
  std::int64_t llc_bytes = 0;  // the cache the buffer was sized against (sysfs, else 32 MiB)
  int threads = 0;
  model::cpu::Isa isa = model::cpu::Isa::kScalar;  // the kernel's level (capped at kAvx512)
  int repetitions = 0;
};

// Sum mod 2^64 of the little-endian 64-bit words of [data, data + bytes) (the last partial word
// zero-padded), read by `pool`'s threads in static shares with `isa`'s kernel. Throws odma::Error
// if `isa` is above detected_isa().
std::uint64_t stream_read_sum(const std::byte* data, std::size_t bytes, model::cpu::Isa isa,
                              model::cpu::ThreadPool& pool);

// max(4 × llc_bytes, 1 GiB), rounded up to 2 MiB; llc_bytes <= 0 counts as 32 MiB.
std::int64_t stream_buffer_bytes(std::int64_t llc_bytes);

// The probe on the shared pool at active_isa(), sized by last_level_cache_bytes() (machine.h).
StreamRead measure_stream_read(int repetitions);

// e.g. "1.0 GiB buffer = 32x LLC, 2 threads, avx512 loads, best of 10".
std::string describe(const StreamRead& s);

}  // namespace odma::bench
