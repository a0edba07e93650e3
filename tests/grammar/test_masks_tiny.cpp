// Masks on small hand-made vocabularies: tokens that split UTF-8 characters and escapes, EOS
// handling, and masks equal to replaying each token, from threads sharing one grammar.
#include <gtest/gtest.h>

#include <thread>

#include "grammar/grammar.h"
#include "grammar/matcher.h"
#include "grammar_test_util.h"

namespace odma::grammar {
namespace {

// Brute force by replay: a fresh matcher over `prefix`, then the token.
TokenMask replayed(const GrammarPtr& g, const VocabularyPtr& v, const std::string& prefix) {
  TokenMask mask(v->size());
  for (std::int32_t id = 0; id < v->size(); ++id) {
    Matcher m(g, v);
    if (m.accept_bytes(prefix) && m.accept(id)) mask.allow(id);
  }
  return mask;
}

std::vector<std::string> split_vocabulary() {
  return {
      "\"", "a",   "\xC3", "\xA9", "\xC3\xA9",     "\xA9\"", "\xE2\x82", "\xAC", "\xE2\x82\xAC\"",
      "\\", "\\u", "00",   "e9",   "\\n",          "\"}",    "{\"",      "s\":", " ",
      "\n", "\t",  "\x01", "\xFF", "\xED\xA0\x80", "ab",     "\"a"};
}

TEST(MasksTiny, SplitCharactersEqualReplay) {
  auto v = testing::tiny_vocabulary(split_vocabulary());
  struct Case {
    const char* schema;
    std::vector<std::string> prefixes;
  };
  const Case cases[] = {
      {R"({"type":"string"})",
       {"", "\"", "\"\xC3", "\"\xE2\x82", "\"\\", "\"\\u00", "\"a\xC3\xA9"}},
      {R"({"type":"string","maxLength":1})", {"\"", "\"\xC3", "\"\xC3\xA9", "\"\\u00e9"}},
      {R"({"type":"string","minLength":2})", {"\"", "\"\xC3\xA9", "\"a"}},
      {R"({"type":"object","properties":{"s":{"type":"string"}},"required":["s"]})",
       {"", "{", "{\"", "{\"s\":", "{\"s\": \"\xC3", "{\"s\": \"\xE2\x82\xAC\""}},
      {R"({"type":"string","pattern":"^\u00e9+$"})", {"\"", "\"\xC3", "\"\xC3\xA9"}},
  };
  for (const Case& c : cases) {
    GrammarPtr g = json_schema_text(c.schema);
    for (const std::string& prefix : c.prefixes) {
      Matcher m(g, v);
      ASSERT_TRUE(m.accept_bytes(prefix)) << c.schema << " " << prefix;
      TokenMask mask;
      m.fill_mask(mask);
      EXPECT_EQ(mask.words(), replayed(g, v, prefix).words()) << c.schema << " after " << prefix;
    }
  }
}

TEST(MasksTiny, StringsStayValidUtf8) {
  GrammarPtr g = json_schema_text(R"({"type":"string"})");
  EXPECT_TRUE(testing::matches(g, "\"\xC3\xA9\xE2\x82\xAC\""));
  EXPECT_FALSE(testing::prefix_ok(g, "\"\xA9"));      // continuation without a lead
  EXPECT_FALSE(testing::prefix_ok(g, "\"\xC3\""));    // lead without its continuation
  EXPECT_FALSE(testing::prefix_ok(g, "\"\xED\xA0"));  // surrogate
  EXPECT_FALSE(testing::prefix_ok(g, "\"\xFF"));
  EXPECT_FALSE(testing::prefix_ok(g, "\"\x01"));  // raw control character
}

TEST(MasksTiny, ThreadsSharingAGrammarSeeTheSameMasks) {
  auto v = testing::tiny_vocabulary(split_vocabulary());
  GrammarPtr g = json_schema_text(R"({"type":"object","properties":{"s":{"type":"string"}}})");
  const std::vector<std::string> prefixes = {"", "{", "{\"s\":", "{\"s\":\"", "{\"s\":\"a\xC3"};
  std::vector<std::vector<std::uint64_t>> want;
  for (const std::string& p : prefixes) want.push_back(replayed(g, v, p).words());
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round) {
        for (std::size_t i = 0; i < prefixes.size(); ++i) {
          Matcher m(g, v);
          TokenMask mask;
          if (!m.accept_bytes(prefixes[i])) ++mismatches[static_cast<std::size_t>(t)];
          m.fill_mask(mask);
          if (mask.words() != want[i]) ++mismatches[static_cast<std::size_t>(t)];
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST(MasksTiny, EosOnlyWhereTheOutputMayEnd) {
  auto v = testing::tiny_vocabulary({"1", "2", ","});
  const std::int32_t eos = 3;
  Matcher m(json_schema_text(R"({"type":"integer","minimum":10,"maximum":21})"), v);
  TokenMask mask;
  m.fill_mask(mask);
  EXPECT_FALSE(mask.allowed(eos));
  EXPECT_TRUE(mask.allowed(0));
  EXPECT_TRUE(mask.allowed(1));
  ASSERT_TRUE(m.accept(1));  // "2"
  m.fill_mask(mask);
  EXPECT_FALSE(mask.allowed(eos));
  EXPECT_TRUE(mask.allowed(0));   // 21
  EXPECT_FALSE(mask.allowed(1));  // 22
  ASSERT_TRUE(m.accept(0));
  m.fill_mask(mask);
  EXPECT_TRUE(m.must_end());
  EXPECT_EQ(mask.count(), 1);
  EXPECT_TRUE(mask.allowed(eos));
}

}  // namespace
}  // namespace odma::grammar
