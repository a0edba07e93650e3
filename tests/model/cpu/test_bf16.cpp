// BF16 conversion: round-to-nearest-even against a double-precision definition, the special
// values, exact round trips, and every bulk path bitwise equal to the scalar one (tails included).
#include "model/cpu/bf16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "base/error.h"

namespace odma::model::cpu {
namespace {

float from_bits(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

TEST(Bf16, RoundsToNearestEvenAndKeepsSpecialValues) {
  EXPECT_EQ(to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(to_bf16(-2.0f), 0xC000);
  EXPECT_EQ(to_bf16(from_bits(0x3F808000u)), 0x3F80);  // tie → even
  EXPECT_EQ(to_bf16(from_bits(0x3F818000u)), 0x3F82);  // tie → even (up)
  EXPECT_EQ(to_bf16(from_bits(0x3F808001u)), 0x3F81);  // above the tie
  EXPECT_EQ(to_bf16(from_bits(0x3F807FFFu)), 0x3F80);  // below the tie
  EXPECT_EQ(to_bf16(-0.0f), 0x8000);
  EXPECT_EQ(to_bf16(std::numeric_limits<float>::infinity()), 0x7F80);
  EXPECT_EQ(to_bf16(-std::numeric_limits<float>::infinity()), 0xFF80);
  EXPECT_EQ(to_bf16(std::numeric_limits<float>::max()), 0x7F80);  // rounds past the BF16 max
  EXPECT_EQ(to_bf16(from_bits(0x00000001u)), 0x0000);             // smallest subnormal
  EXPECT_EQ(to_bf16(from_bits(0x00008000u)), 0x0000);             // tie → even (0)
  EXPECT_EQ(to_bf16(from_bits(0x00018000u)), 0x0002);             // subnormal tie → even
  // NaN stays NaN, quieted, sign kept; never becomes Inf.
  EXPECT_EQ(to_bf16(from_bits(0x7F800001u)), 0x7FC0);
  EXPECT_EQ(to_bf16(from_bits(0xFF800001u)), 0xFFC0);
  EXPECT_EQ(to_bf16(from_bits(0x7FFFFFFFu)), 0x7FFF);
  EXPECT_TRUE(std::isnan(to_f32(to_bf16(std::numeric_limits<float>::quiet_NaN()))));
}

TEST(Bf16, MatchesADoublePrecisionDefinitionOfNearestEven) {
  std::mt19937 rng(1);
  for (int i = 0; i < 2000000; ++i) {
    const std::uint32_t u = rng();
    const float f = from_bits(u);
    if (std::isnan(f) || std::isinf(f)) continue;
    const std::uint16_t h = to_bf16(f);
    // The two BF16 neighbours of f (toward zero and away), compared in double.
    const std::uint16_t lo = static_cast<std::uint16_t>(u >> 16);
    const std::uint16_t hi = static_cast<std::uint16_t>(lo + 1);
    const double dl = std::fabs(double{to_f32(lo)} - f);
    const double dh = (hi & 0x7F80) == 0x7F80 && (hi & 0x7F) == 0
                          ? std::fabs(std::ldexp(1.0, 128) * (f < 0 ? -1 : 1) - double{f})
                          : std::fabs(double{to_f32(hi)} - f);
    const std::uint16_t want = dl < dh ? lo : dh < dl ? hi : ((lo & 1) == 0 ? lo : hi);
    ASSERT_EQ(h, want) << std::hex << u;
  }
}

TEST(Bf16, EveryNonNanValueRoundTripsExactly) {
  for (std::uint32_t h = 0; h <= 0xFFFF; ++h) {
    const auto b = static_cast<std::uint16_t>(h);
    if ((b & 0x7F80) == 0x7F80 && (b & 0x7F) != 0) continue;  // NaN
    ASSERT_EQ(to_bf16(to_f32(b)), b) << std::hex << h;
  }
}

TEST(Bf16, BulkConvertersEqualTheScalarOnEveryPath) {
  std::mt19937 rng(2);
  std::vector<float> src(4099);
  for (auto& x : src) x = from_bits(rng());
  const float specials[] = {0.0f,
                            -0.0f,
                            1.0f,
                            from_bits(0x3F808000u),
                            from_bits(0x00018000u),
                            from_bits(0x7F800001u),
                            std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::max(),
                            1e-40f,
                            -1e-40f};
  for (std::size_t i = 0; i < std::size(specials); ++i) src[i * 37] = specials[i];
  for (Isa isa : supported_isas()) {
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{15},
                          std::size_t{16}, std::size_t{17}, std::size_t{33}, src.size()}) {
      std::vector<std::uint16_t> got(n + 1, 0xABCD);
      convert_f32_to_bf16(src.data(), got.data(), n, isa);
      for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(got[i], to_bf16(src[i])) << isa_name(isa) << i;
      ASSERT_EQ(got[n], 0xABCD) << "wrote past the end on " << isa_name(isa);
      std::vector<float> back(n + 1, 42.0f);
      convert_bf16_to_f32(got.data(), back.data(), n, isa);
      for (std::size_t i = 0; i < n; ++i) {
        std::uint32_t bits;
        std::memcpy(&bits, &back[i], 4);
        ASSERT_EQ(bits, static_cast<std::uint32_t>(got[i]) << 16) << isa_name(isa) << i;
      }
      ASSERT_EQ(back[n], 42.0f);
    }
  }
}

TEST(Bf16, UnavailableIsaIsAnError) {
  if (detected_isa() == Isa::kAmx) GTEST_SKIP() << "every level is available";
  float x = 1.0f;
  std::uint16_t h = 0;
  EXPECT_THROW(convert_f32_to_bf16(&x, &h, 1, Isa::kAmx), Error);
}

}  // namespace
}  // namespace odma::model::cpu
