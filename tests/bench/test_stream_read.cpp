// The STREAM-style read probe reads every byte once at every ISA level, whatever the size, the
// alignment and the number of threads sharing the buffer.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/error.h"
#include "bench/stream_read.h"
#include "model/cpu/cpu_features.h"
#include "model/cpu/thread_pool.h"

namespace odma::bench {
namespace {

using model::cpu::Isa;

// Byte i weighs 2^(8·(i mod 8)): the sum of little-endian 64-bit words, written byte by byte.
std::uint64_t reference_sum(const std::byte* data, std::size_t bytes) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < bytes; ++i)
    sum += static_cast<std::uint64_t>(data[i]) << (8 * (i % 8));
  return sum;
}

std::vector<std::byte> pattern(std::size_t bytes) {
  std::vector<std::byte> v(bytes);
  std::uint64_t x = 0x9E3779B97F4A7C15u;
  for (auto& b : v) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;  // xorshift64: no byte pattern a kernel could fake
    b = static_cast<std::byte>(x >> 56);
  }
  return v;
}

TEST(StreamRead, SumsEveryByteOnceAtEveryIsaLevelSizeAlignmentAndThreadCount) {
  const std::vector<std::byte> buf = pattern((1 << 20) + 4096);
  model::cpu::ThreadPool one(1), three(3);
  for (Isa isa : model::cpu::supported_isas()) {
    for (model::cpu::ThreadPool* pool : {&one, &three}) {
      for (std::size_t offset : {0, 1, 8}) {  // unaligned starts and shares
        for (std::size_t n :
             {0, 1, 7, 8, 63, 64, 65, 191, 511, 512, 513, 1537, 100003, (1 << 20) + 13}) {
          const std::byte* p = buf.data() + offset;
          EXPECT_EQ(stream_read_sum(p, n, isa, *pool), reference_sum(p, n))
              << model::cpu::isa_name(isa) << ", " << pool->threads() << " threads, offset "
              << offset << ", " << n << " bytes";
        }
      }
    }
  }
}

TEST(StreamRead, RefusesAnIsaTheCpuLacks) {
  if (model::cpu::isa_supported(Isa::kAmx)) GTEST_SKIP() << "this CPU has every level";
  const std::vector<std::byte> buf = pattern(64);
  EXPECT_THROW(
      (void)stream_read_sum(buf.data(), buf.size(), Isa::kAmx, model::cpu::ThreadPool::shared()),
      Error);
}

TEST(StreamRead, BufferIsFourTimesTheLastLevelCacheAndAtLeastOneGib) {
  constexpr std::int64_t kMiB = 1LL << 20;
  EXPECT_EQ(stream_buffer_bytes(0), 1024 * kMiB);  // unknown: 32 MiB assumed
  EXPECT_EQ(stream_buffer_bytes(32 * kMiB), 1024 * kMiB);
  EXPECT_EQ(stream_buffer_bytes(512 * kMiB), 2048 * kMiB);
  EXPECT_EQ(stream_buffer_bytes(300 * kMiB + 1), 1202 * kMiB);  // rounded up to 2 MiB pages
}

TEST(StreamRead, DescribesBufferThreadsAndLoads) {
  StreamRead s;
  s.buffer_bytes = 1LL << 30;
  s.llc_bytes = 32LL << 20;
  s.threads = 2;
  s.isa = Isa::kAvx512;
  s.repetitions = 10;
  EXPECT_EQ(describe(s), "1.0 GiB buffer = 32x LLC, 2 threads, avx512 loads, best of 10");
}

}  // namespace
}  // namespace odma::bench
