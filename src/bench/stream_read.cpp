#include "bench/stream_read.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "base/error.h"
#include "bench/machine.h"
#include "bench/read_kernels/read_sum.h"
#include "model/cpu/mapped_buffer.h"

namespace odma::bench {
namespace {

using model::cpu::Isa;

std::uint64_t read_sum(const std::byte* data, std::size_t bytes, Isa isa) {
  if (isa >= Isa::kAvx512) return detail::read_sum_avx512(data, bytes);
  if (isa >= Isa::kAvx2) return detail::read_sum_avx2(data, bytes);
  return detail::read_sum_scalar(data, bytes);
}

}  // namespace

std::uint64_t stream_read_sum(const std::byte* data, std::size_t bytes, Isa isa,
                              model::cpu::ThreadPool& pool) {
  if (!model::cpu::isa_supported(isa))
    throw Error(std::string("stream_read_sum: ") + model::cpu::isa_name(isa) +
                " is not available on this CPU");
  const auto shares = static_cast<std::size_t>(pool.threads());
  // ⌈bytes ÷ shares⌉ rounded up to whole cache lines, so that no line is read by two threads; the
  // last share is shorter (or empty).
  const std::size_t share = ((bytes + shares - 1) / shares + 63) / 64 * 64;
  std::vector<std::uint64_t> partial(shares, 0);
  pool.parallel_for(static_cast<int>(shares), [&](int t) {
    const std::size_t begin = std::min(bytes, static_cast<std::size_t>(t) * share);
    const std::size_t end = std::min(bytes, begin + share);
    partial[static_cast<std::size_t>(t)] = read_sum(data + begin, end - begin, isa);
  });
  std::uint64_t sum = 0;
  for (std::uint64_t p : partial) sum += p;
  return sum;
}

std::int64_t stream_buffer_bytes(std::int64_t llc_bytes) {
  constexpr std::int64_t kFallbackLlc = 32LL << 20, kMin = 1LL << 30, kHugePage = 2LL << 20;
  const std::int64_t llc = llc_bytes > 0 ? llc_bytes : kFallbackLlc;
  const std::int64_t bytes = std::max(4 * llc, kMin);
  return (bytes + kHugePage - 1) / kHugePage * kHugePage;
}

StreamRead measure_stream_read(int repetitions) {
  using Clock = std::chrono::steady_clock;
  StreamRead r;
  const std::int64_t sysfs_llc = last_level_cache_bytes();
  r.llc_bytes = sysfs_llc > 0 ? sysfs_llc : 32LL << 20;
  r.buffer_bytes = stream_buffer_bytes(sysfs_llc);
  model::cpu::ThreadPool& pool = model::cpu::ThreadPool::shared();
  r.threads = pool.threads();
  r.isa = std::min(model::cpu::active_isa(), Isa::kAvx512);
  r.repetitions = std::max(1, repetitions);
  const auto bytes = static_cast<std::size_t>(r.buffer_bytes);
  model::cpu::MappedBuffer mem(bytes);  // 2 MiB pages where THP allows, like the KV arena
  auto* data = static_cast<std::byte*>(mem.data());
  std::memset(data, 1, bytes);  // commits every page before the timed reads
  volatile std::uint64_t sink = stream_read_sum(data, bytes, r.isa, pool);  // warm-up
  double best = 1e30;
  for (int rep = 0; rep < r.repetitions; ++rep) {
    const auto t0 = Clock::now();
    sink = sink + stream_read_sum(data, bytes, r.isa, pool);
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  r.gbps = static_cast<double>(bytes) / best / 1e9;
  return r;
}

std::string describe(const StreamRead& s) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%.1f GiB buffer = %.0fx LLC, %d threads, %s loads, best of %d",
                static_cast<double>(s.buffer_bytes) / (1LL << 30),
                static_cast<double>(s.buffer_bytes) / static_cast<double>(s.llc_bytes), s.threads,
                model::cpu::isa_name(s.isa), s.repetitions);
  return buf;
}

}  // namespace odma::bench
