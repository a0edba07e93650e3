// The JavaScript string/number semantics the renderer reproduces (jinja_text.h), and the lexer's
// whitespace preprocessing with its map back to source positions.
#include <gtest/gtest.h>

#include <cmath>

#include "tokenizer/jinja_error.h"
#include "tokenizer/jinja_lexer.h"
#include "tokenizer/jinja_text.h"

namespace odma::tokenizer::jinja {
namespace {

TEST(ChatTemplateText, NumbersPrintAsJavaScriptDoes) {
  EXPECT_EQ(js_number(0), "0");
  EXPECT_EQ(js_number(-0.0), "0");
  EXPECT_EQ(js_number(-1.5), "-1.5");
  EXPECT_EQ(js_number(0.1), "0.1");
  EXPECT_EQ(js_number(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(js_number(1e21), "1e+21");
  EXPECT_EQ(js_number(123456789012345680000.0), "123456789012345680000");
  EXPECT_EQ(js_number(1e-6), "0.000001");
  EXPECT_EQ(js_number(1.5e-7), "1.5e-7");
  EXPECT_EQ(js_number(9007199254740993.0), "9007199254740992");
  EXPECT_EQ(js_number(NAN), "NaN");
  EXPECT_EQ(js_number(-INFINITY), "-Infinity");
  EXPECT_EQ(js_float(1), "1.0");
  EXPECT_EQ(js_float(-0.0), "-0.0");
  EXPECT_EQ(js_float(2.5), "2.5");
  EXPECT_EQ(js_float(1e20), "100000000000000000000.0");
  EXPECT_EQ(js_float(1e21), "1e+21");
}

TEST(ChatTemplateText, StringToNumberFollowsJavaScript) {
  EXPECT_EQ(js_string_to_number(" 12 "), 12);
  EXPECT_EQ(js_string_to_number(""), 0);
  EXPECT_EQ(js_string_to_number("0x1F"), 31);
  EXPECT_EQ(js_string_to_number("1e3"), 1000);
  EXPECT_EQ(js_string_to_number("-Infinity"), -INFINITY);
  for (const char* nan : {"abc", "1_000", "inf", "nan", "0x", "1e", "--1", "0x1p3"}) {
    EXPECT_TRUE(std::isnan(js_string_to_number(nan))) << nan;
  }
  EXPECT_EQ(js_parse_int("  42px"), 42);
  EXPECT_EQ(js_parse_int("-7.9"), -7);
  EXPECT_TRUE(std::isnan(js_parse_int("x1")));
  EXPECT_EQ(js_parse_float("3.5e2x"), 350);
  EXPECT_EQ(js_parse_float(".5"), 0.5);
  EXPECT_EQ(js_parse_float("1e"), 1);
  EXPECT_TRUE(std::isnan(js_parse_float(".")));
}

TEST(ChatTemplateText, WhitespaceIsJavaScriptsSet) {
  EXPECT_EQ(js_trim("\xC2\xA0\xE3\x80\x80\xEF\xBB\xBF x \xE2\x80\xA8\t"), "x");
  EXPECT_EQ(js_trim("\xC2\x85x"), "\xC2\x85x");  // U+0085 is not JS whitespace
  EXPECT_EQ(js_trim_start("  a  "), "a  ");
  EXPECT_EQ(js_trim_end("  a  "), "  a");
}

TEST(ChatTemplateText, LengthAndOrderAreUtf16) {
  EXPECT_EQ(utf16_length("a\xC3\xA9\xF0\x9F\x98\x80"), 4u);  // a é 😀
  EXPECT_EQ(utf16_index_to_byte("a\xF0\x9F\x98\x80"
                                "b",
                                3),
            5u);
  EXPECT_EQ(utf16_index_to_byte("a\xF0\x9F\x98\x80"
                                "b",
                                2),
            std::string::npos);
  // JS compares code units: U+FFFF sorts after U+1F600 (a surrogate pair starts with 0xD83D).
  EXPECT_EQ(js_compare("\xF0\x9F\x98\x80", "\xEF\xBF\xBF"), -1);
  EXPECT_EQ(js_compare("ab", "abc"), -1);
  EXPECT_EQ(js_compare("b", "abc"), 1);
}

TEST(ChatTemplateText, CaseMapping) {
  EXPECT_EQ(js_upper("stra\xC3\x9F"
                     "e"),
            "STRASSE");
  EXPECT_EQ(js_lower("\xCE\xA3\xCE\x91\xCE\xA3 \xCE\xA3"), "\xCF\x83\xCE\xB1\xCF\x82 \xCF\x83");
  EXPECT_EQ(js_title("hello wORLD x_y 3d"), "Hello WORLD X_y 3d");
  EXPECT_EQ(js_capitalize("\xC3\xA9t\xC3\xA9"), "\xC3\x89t\xC3\xA9");
}

TEST(ChatTemplateText, JsonStringQuoting) {
  std::string out;
  append_json_string(out, "a\"\\\n\x01\x7f\xE2\x80\xA8\xC3\xA9", false);
  EXPECT_EQ(out, "\"a\\\"\\\\\\n\\u0001\x7f\xE2\x80\xA8\xC3\xA9\"");
  out.clear();
  append_json_string(out, "\xC3\xA9\xF0\x9F\x98\x80\x7f", true);
  EXPECT_EQ(out, "\"\\u00e9\\ud83d\\ude00\\u007f\"");
}

TEST(ChatTemplateText, PreprocessingKeepsSourceOffsets) {
  Preprocessed p = preprocess("  {% if x %}\nA\n");
  EXPECT_EQ(p.text, "{% if x %}A");
  EXPECT_EQ(p.origin[0], 2u);    // the "{" after the stripped indentation
  EXPECT_EQ(p.origin[10], 13u);  // "A", after the newline trim_blocks removed
  EXPECT_EQ(preprocess("a {%- generation %} b {% endgeneration -%} c").text, "a b c");
  EXPECT_EQ(preprocess("x\t{# c #}\ny").text, "x\t{# c #}y");  // not at a line start: kept
}

TEST(ChatTemplateText, TokensCarryPositions) {
  std::vector<Token> tokens = tokenize("ab\n  {{- x -}}  c");
  ASSERT_EQ(tokens.size(), 5u);
  EXPECT_EQ(tokens[0].value, "ab");  // {{- trimmed the newline and spaces
  EXPECT_EQ(tokens[1].type, Tok::kOpenExpr);
  EXPECT_EQ(tokens[2].pos, 9u);
  EXPECT_EQ(tokens[4].value, "c");
  EXPECT_EQ(describe_location("ab\n  {{- x -}}  c", tokens[2].pos), "line 2:7");
  EXPECT_EQ(tokenize("{{ -1.5 - 2 }}")[1].value, "-1.5");  // unary minus folds into the number
  EXPECT_EQ(tokenize("{{ x -1 }}")[2].type, Tok::kAdditive);
}

}  // namespace
}  // namespace odma::tokenizer::jinja
