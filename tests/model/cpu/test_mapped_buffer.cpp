// MappedBuffer: the KV arena's memory. Huge-page alignment, zero fill and error paths.
#include <gtest/gtest.h>

#include <cstdint>

#include "base/error.h"
#include "model/cpu/mapped_buffer.h"

namespace odma::model::cpu {
namespace {

TEST(MappedBuffer, IsTwoMebibyteAlignedZeroFilledAndWritable) {
  for (std::size_t bytes : {std::size_t{1}, std::size_t{4096}, std::size_t{5} << 20}) {
    MappedBuffer b(bytes);
    ASSERT_EQ(b.size(), bytes);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.data()) % (std::size_t{2} << 20), 0u);
    auto* p = static_cast<unsigned char*>(b.data());
    EXPECT_EQ(p[0], 0);
    EXPECT_EQ(p[bytes - 1], 0);
    p[0] = 1;
    p[bytes - 1] = 2;  // the whole requested range is mapped, alignment slack included
    EXPECT_EQ(p[bytes - 1], 2);
  }
}

TEST(MappedBuffer, RejectsZeroAndImpossibleSizes) {
  EXPECT_THROW(MappedBuffer(0), Error);
  EXPECT_THROW(MappedBuffer(std::size_t{1} << 62), Error);  // far beyond any address space
}

}  // namespace
}  // namespace odma::model::cpu
