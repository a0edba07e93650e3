// Matcher semantics on the combinator grammars: accept/reject, ends, EOS, unchanged state on a
// refused token, recursion bounds.
#include <gtest/gtest.h>

#include "grammar/grammar.h"
#include "grammar/matcher.h"
#include "grammar_test_util.h"

namespace odma::grammar {
namespace {

using testing::matches;
using testing::prefix_ok;

TEST(Matcher, LiteralAcceptsExactlyItsText) {
  GrammarPtr g = literal("hello");
  EXPECT_TRUE(matches(g, "hello"));
  EXPECT_FALSE(matches(g, "hell"));
  EXPECT_TRUE(prefix_ok(g, "hell"));
  EXPECT_FALSE(prefix_ok(g, "help"));
  EXPECT_FALSE(prefix_ok(g, "hello!"));
}

TEST(Matcher, ChoiceSharesPrefixes) {
  GrammarPtr g = choice({"yes", "yesterday", "no"});
  EXPECT_TRUE(matches(g, "yes"));
  EXPECT_TRUE(matches(g, "yesterday"));
  EXPECT_TRUE(matches(g, "no"));
  EXPECT_FALSE(matches(g, "yest"));
  EXPECT_FALSE(matches(g, "n"));
  EXPECT_THROW(choice({}), GrammarError);
}

TEST(Matcher, SequenceAlternativesRepeat) {
  GrammarPtr ab = sequence({literal("a"), alternatives({literal("b"), literal("cc")})});
  EXPECT_TRUE(matches(ab, "ab"));
  EXPECT_TRUE(matches(ab, "acc"));
  EXPECT_FALSE(matches(ab, "ac"));
  GrammarPtr r = repeat(ab, 2, 3, ",");
  EXPECT_FALSE(matches(r, "ab"));
  EXPECT_TRUE(matches(r, "ab,acc"));
  EXPECT_TRUE(matches(r, "ab,acc,ab"));
  EXPECT_FALSE(matches(r, "ab,acc,ab,ab"));
  EXPECT_FALSE(matches(r, "abacc"));
  GrammarPtr any = repeat(literal("x"), 0, -1, "");
  EXPECT_TRUE(matches(any, ""));
  EXPECT_TRUE(matches(any, std::string(500, 'x')));
  EXPECT_THROW(repeat(literal("x"), 3, 2), GrammarError);
}

TEST(Matcher, ToolCallShape) {
  GrammarPtr call = sequence({literal("<tool_call>\n"), json_schema_text(R"({"type":"object",
      "properties":{"name":{"const":"f"}},"required":["name"]})"),
                              literal("\n</tool_call>")});
  GrammarPtr calls = repeat(call, 1, -1, "\n");
  std::string one = "<tool_call>\n{\"name\":\"f\"}\n</tool_call>";
  EXPECT_TRUE(matches(calls, one));
  EXPECT_TRUE(matches(calls, one + "\n" + one));
  EXPECT_FALSE(matches(calls, one + "\n"));
  EXPECT_FALSE(matches(calls, ""));
}

TEST(Matcher, EndsAndEos) {
  auto vocab = testing::tiny_vocabulary({"a", "b", "ab"});
  const std::int32_t eos = 3;
  Matcher m(repeat(literal("a"), 1, 2), vocab);
  EXPECT_FALSE(m.can_end());
  EXPECT_FALSE(m.accept(eos));
  EXPECT_TRUE(m.accept(0));
  EXPECT_TRUE(m.can_end());
  EXPECT_FALSE(m.must_end());
  EXPECT_TRUE(m.accept(0));
  EXPECT_TRUE(m.must_end());
  TokenMask mask;
  m.fill_mask(mask);
  EXPECT_EQ(mask.count(), 1);
  EXPECT_TRUE(mask.allowed(eos));
  EXPECT_TRUE(m.accept(eos));
  EXPECT_TRUE(m.finished());
  EXPECT_FALSE(m.accept(0));
  m.fill_mask(mask);
  EXPECT_EQ(mask.count(), 0);
}

TEST(Matcher, RefusedTokenLeavesStateUnchanged) {
  auto vocab = testing::tiny_vocabulary({"a", "b", "ab", "abc"});
  Matcher m(literal("abab"), vocab);
  EXPECT_TRUE(m.accept(0));
  EXPECT_FALSE(m.accept(3));  // "abc" would leave the language
  EXPECT_FALSE(m.accept(0));
  EXPECT_FALSE(m.accept_bytes("bx"));
  EXPECT_TRUE(m.accept(1));
  EXPECT_TRUE(m.accept(2));
  EXPECT_TRUE(m.must_end());
}

TEST(Matcher, MaskOnTinyVocabulary) {
  auto vocab = testing::tiny_vocabulary({"a", "b", "ab", "ba", "abc", "c"});
  Matcher m(choice({"abc", "bab"}), vocab);
  TokenMask mask;
  m.fill_mask(mask);
  std::vector<std::int32_t> allowed;
  for (std::int32_t id = 0; id < mask.size(); ++id) {
    if (mask.allowed(id)) allowed.push_back(id);
  }
  EXPECT_EQ(allowed, (std::vector<std::int32_t>{0, 1, 2, 3, 4}));
  ASSERT_TRUE(m.accept(3));  // "ba"
  m.fill_mask(mask);
  EXPECT_EQ(mask.count(), 1);
  EXPECT_TRUE(mask.allowed(1));
}

TEST(Matcher, AcceptBytesMayEndMidToken) {
  GrammarPtr g = regex("[a-z]+!");
  Matcher m(g, testing::byte_vocabulary());
  EXPECT_TRUE(m.accept_bytes("ab"));
  EXPECT_TRUE(m.accept_bytes(""));
  EXPECT_TRUE(m.accept_bytes("c!"));
  EXPECT_TRUE(m.must_end());
}

TEST(Matcher, DeepNestingIsBoundedNotInfinite) {
  // {"$ref":"#"} arrays nest without bound in the schema; the matcher stops offering deeper
  // nesting at its stack limit instead of growing forever.
  GrammarPtr g = json_schema_text(R"({"type":"array","items":{"$ref":"#"}})");
  EXPECT_TRUE(matches(g, "[[[]],[]]"));
  EXPECT_TRUE(prefix_ok(g, std::string(100, '[')));
  EXPECT_FALSE(prefix_ok(g, std::string(300, '[')));
}

TEST(Matcher, NullableLoopsTerminate) {
  GrammarPtr g = repeat(regex("a*"), 0, -1, "");
  EXPECT_TRUE(matches(g, ""));
  EXPECT_TRUE(matches(g, "aaaa"));
  EXPECT_FALSE(matches(g, "ab"));
}

TEST(Matcher, MoveKeepsPosition) {
  Matcher m(literal("xy"), testing::byte_vocabulary());
  ASSERT_TRUE(m.accept_bytes("x"));
  Matcher moved = std::move(m);
  EXPECT_TRUE(moved.accept_bytes("y"));
  EXPECT_TRUE(moved.must_end());
}

}  // namespace
}  // namespace odma::grammar
