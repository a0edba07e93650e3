// UTF-8 well-formedness (RFC 3629) and the incomplete-tail count used by the stream hold-back.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "server/utf8.h"

namespace odma::server {
namespace {

// The shortest UTF-8 encoding of code point `cp` (surrogates encoded as if they were scalars).
std::string encode(char32_t cp) {
  std::string s;
  const auto byte = [&](unsigned v) { s += static_cast<char>(v); };
  if (cp < 0x80) {
    byte(cp);
  } else if (cp < 0x800) {
    byte(0xC0 | (cp >> 6));
    byte(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    byte(0xE0 | (cp >> 12));
    byte(0x80 | ((cp >> 6) & 0x3F));
    byte(0x80 | (cp & 0x3F));
  } else {
    byte(0xF0 | (cp >> 18));
    byte(0x80 | ((cp >> 12) & 0x3F));
    byte(0x80 | ((cp >> 6) & 0x3F));
    byte(0x80 | (cp & 0x3F));
  }
  return s;
}

TEST(Utf8, EveryScalarValueIsValidAndEverySurrogateIsNot) {
  for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
    ASSERT_EQ(is_valid_utf8(encode(cp)), !surrogate)
        << "U+" << std::hex << static_cast<std::uint32_t>(cp);
  }
}

TEST(Utf8, EmptyStringIsValid) {
  EXPECT_TRUE(is_valid_utf8(""));
}

TEST(Utf8, LoneContinuationByteIsInvalid) {
  EXPECT_FALSE(is_valid_utf8("a\x80z"));
}

TEST(Utf8, OverlongEncodingsAreInvalid) {
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));  // '/' in two bytes
  EXPECT_FALSE(is_valid_utf8("\xC1\xBF"));
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // '/' in three bytes
  EXPECT_FALSE(is_valid_utf8("\xF0\x80\x80\xAF"));  // '/' in four bytes
}

TEST(Utf8, CodePointsAboveU10FFFFAreInvalid) {
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(is_valid_utf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(is_valid_utf8("\xFF"));
}

TEST(Utf8, TruncatedSequenceIsInvalid) {
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));      // € without its last byte
  EXPECT_FALSE(is_valid_utf8("\xE2\x82z"));     // ... followed by ASCII
  EXPECT_FALSE(is_valid_utf8("\xF0\x9F\x98"));  // 😀 without its last byte
}

TEST(Utf8, IncompleteTailCountsTheBytesOfAnUnfinishedCharacter) {
  EXPECT_EQ(incomplete_utf8_tail(""), 0u);
  EXPECT_EQ(incomplete_utf8_tail("a"), 0u);
  EXPECT_EQ(incomplete_utf8_tail("a\xE2"), 1u);
  EXPECT_EQ(incomplete_utf8_tail("a\xE2\x82"), 2u);
  EXPECT_EQ(incomplete_utf8_tail("\xF0\x9F\x98"), 3u);
  EXPECT_EQ(incomplete_utf8_tail("\xE2\x82\xAC"), 0u);  // € is complete
}

TEST(Utf8, IncompleteTailIsZeroForBytesNoInputCanComplete) {
  EXPECT_EQ(incomplete_utf8_tail("\x80"), 0u);      // a stray continuation
  EXPECT_EQ(incomplete_utf8_tail("\xC0"), 0u);      // can only start an overlong
  EXPECT_EQ(incomplete_utf8_tail("\xE0\x80"), 0u);  // overlong second byte
  EXPECT_EQ(incomplete_utf8_tail("\xED\xA0"), 0u);  // would be a surrogate
}

TEST(Utf8, ToValidReplacesEachBadByteWithReplacementCharacter) {
  EXPECT_EQ(to_valid_utf8("a\xFF"
                          "b\xE2\x82"),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(Utf8, ToValidKeepsWellFormedText) {
  EXPECT_EQ(to_valid_utf8("h\xC3\xA9llo \xE2\x82\xAC"), "h\xC3\xA9llo \xE2\x82\xAC");
}

}  // namespace
}  // namespace odma::server
