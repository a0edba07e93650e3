// regex(): whole-output matching of the ECMA-262 subset.
#include <gtest/gtest.h>

#include "grammar/grammar.h"
#include "grammar_test_util.h"

namespace odma::grammar {
namespace {

struct Case {
  const char* pattern;
  std::vector<std::string> accept;
  std::vector<std::string> reject;
};

TEST(Regex, WholeOutputMatching) {
  const Case cases[] = {
      {"abc", {"abc"}, {"ab", "abcd", "xabc"}},
      {"^abc$", {"abc"}, {"abcd"}},
      {"a|bc|", {"a", "bc", ""}, {"b", "abc"}},
      {"[a-c]+[^a-c]?", {"abc", "abcd", "c"}, {"", "d", "abcdd"}},
      {"\\d{2,3}-\\w+\\s\\S", {"12-x_9 !", "123-a\tb"}, {"1-x !", "1234-x !", "12-- !"}},
      {"(ab)*c?", {"", "abab", "ababc", "c"}, {"aba", "cc"}},
      {"(?:x|yz){2}", {"xx", "xyz", "yzyz"}, {"x", "xxx"}},
      {"a.c",
       {"abc",
        "a\xC3\xA9"
        "c",
        "a\"c"},
       {"a\nc", "ac",
        "a\xC3"
        "c"}},
      {"[\\u00e0-\\u00ff]", {"\xC3\xA0", "\xC3\xBF"}, {"\xC3\x9F", "a"}},
      {"\\u00e9|\\x41", {"\xC3\xA9", "A"}, {"e"}},
      {"\\uD83D\\uDE00", {"\xF0\x9F\x98\x80"}, {"\xF0\x9F\x98\x81"}},
      {"[^\\x00-\\x7f]", {"\xE2\x82\xAC", "\xF0\x9F\x98\x80"}, {"a", "\xED\xA0\x80"}},
      {"a{3}", {"aaa"}, {"aa", "aaaa"}},
      {"a{2,}", {"aa", "aaaaaa"}, {"a"}},
      {"a+?b*?", {"ab", "aaa"}, {"b"}},
      {"x{", {"x{"}, {"x"}},
      {"\\.\\*\\[\\]", {".*[]"}, {"a*[]"}},
      {"[\\d.-]+", {"3.5-1"}, {"a"}},
  };
  for (const Case& c : cases) {
    GrammarPtr g = regex(c.pattern);
    for (const std::string& s : c.accept)
      EXPECT_TRUE(testing::matches(g, s)) << c.pattern << " " << s;
    for (const std::string& s : c.reject)
      EXPECT_FALSE(testing::matches(g, s)) << c.pattern << " " << s;
  }
}

TEST(Regex, UnsupportedConstructs) {
  for (const char* p : {"(?=a)", "(?<n>a)", "\\bx", "(a)\\1", "a^", "$a", "(a$)", "\\p{L}", "*a",
                        "a**", "[z-a]", "(", ")", "\\"}) {
    EXPECT_THROW((void)regex(p), GrammarError) << p;
  }
}

}  // namespace
}  // namespace odma::grammar
