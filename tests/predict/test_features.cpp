#include <gtest/gtest.h>

#include <algorithm>

#include "predict/features.h"

namespace odma::predict {
namespace {

SparseFeatures extract(const FeatureExtractor& fx, std::string_view text, int tokens = 10,
                       int max = 0) {
  SparseFeatures f;
  fx.extract(PromptInfo{text, tokens, max}, f);
  return f;
}

bool has_row(const SparseFeatures& f, std::uint32_t r) {
  return std::find(f.rows.begin(), f.rows.end(), r) != f.rows.end();
}

TEST(Features, DeterministicAndInRange) {
  FeatureExtractor fx(FeatureConfig{10});
  auto a = extract(fx, "Write a short poem about the sea.");
  auto b = extract(fx, "Write a short poem about the sea.");
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.values, b.values);
  ASSERT_FALSE(a.rows.empty());
  EXPECT_EQ(a.rows[0], 0u);  // bias first
  EXPECT_EQ(a.values[0], 1.0f);
  for (std::size_t i = 1; i < a.size(); ++i) {
    EXPECT_LT(a.rows[i], 1u << 10);
    EXPECT_NE(a.rows[i], 0u) << "only the bias may use row 0";
  }
  EXPECT_EQ(a.rows.size(), a.values.size());
}

TEST(Features, CaseInsensitiveWords) {
  FeatureExtractor fx;
  EXPECT_EQ(extract(fx, "WRITE A POEM").rows, extract(fx, "write a poem").rows);
}

TEST(Features, InputAfterNewlineChangesFeatures) {
  FeatureExtractor fx;
  auto no_input = extract(fx, "Summarize the text");
  auto with_input = extract(fx, "Summarize the text\nThe quick brown fox jumps.");
  EXPECT_GT(with_input.size(), no_input.size());
  const std::uint32_t mask = (1u << 18) - 1;
  auto row_of = [&](std::string_view s) {
    auto r = static_cast<std::uint32_t>(fnv1a64(s) & mask);
    return r == 0 ? 1u : r;
  };
  EXPECT_TRUE(has_row(no_input, row_of("no_input")));
  EXPECT_FALSE(has_row(no_input, row_of("has_input")));
  EXPECT_TRUE(has_row(with_input, row_of("has_input")));
}

TEST(Features, CountsCrossedWithTheirUnit) {
  FeatureExtractor fx;
  auto five = extract(fx, "Give 5 examples of fruit");
  auto seven = extract(fx, "Give 7 examples of fruit");
  auto five_words = extract(fx, "Give 5 words of fruit");
  EXPECT_NE(five.rows, seven.rows);
  EXPECT_NE(five.rows, five_words.rows);
}

TEST(Features, LengthAndCapChangeFeatures) {
  FeatureExtractor fx;
  EXPECT_NE(extract(fx, "hello", 3).rows, extract(fx, "hello", 300).rows);
  EXPECT_NE(extract(fx, "hello", 3, 0).rows, extract(fx, "hello", 3, 512).rows);
}

TEST(Features, EmptyAndOddInputsAreSafe) {
  FeatureExtractor fx;
  auto empty = extract(fx, "", 0, 0);
  EXPECT_GE(empty.size(), 1u);
  std::string big(200000, 'a');
  big[1000] = ' ';
  big += "\n\xff\xfe 12345678901234567890 words";
  auto f = extract(fx, big);
  EXPECT_LT(f.size(), 400u) << "word caps bound the work per prompt";
}

TEST(Features, Fnv1aKnownValues) {
  // Reference values of FNV-1a 64 (Fowler/Noll/Vo test vectors).
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ull);
}

}  // namespace
}  // namespace odma::predict
