#include "base/process_memory.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>

namespace odma {
namespace {

TEST(ProcessMemory, ResidentGrowsByTheBytesTouchedAndPeakCoversIt) {
  const ProcessMemory before = process_memory();
  ASSERT_GT(before.resident_bytes, 0);
  ASSERT_GE(before.peak_resident_bytes, before.resident_bytes);
  constexpr std::size_t kBytes = std::size_t{64} << 20;
  auto buf = std::make_unique<char[]>(kBytes);
  std::memset(buf.get(), 1, kBytes);  // committed only once written
  const ProcessMemory after = process_memory();
  EXPECT_GE(after.resident_bytes - before.resident_bytes,
            static_cast<std::int64_t>(kBytes) * 9 / 10);
  EXPECT_GE(after.peak_resident_bytes, after.resident_bytes);
  EXPECT_EQ(buf[kBytes - 1], 1);
}

}  // namespace
}  // namespace odma
