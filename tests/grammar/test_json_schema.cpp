// JSON Schema keywords: table-driven accept/reject of whole outputs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "grammar/grammar.h"
#include "grammar_test_util.h"

namespace odma::grammar {
namespace {

struct Case {
  const char* schema;
  std::vector<std::string> accept;
  std::vector<std::string> reject;
};

void run(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    GrammarPtr g = json_schema_text(c.schema);
    for (const std::string& text : c.accept) {
      EXPECT_TRUE(testing::matches(g, text)) << c.schema << " should accept " << text;
    }
    for (const std::string& text : c.reject) {
      EXPECT_FALSE(testing::matches(g, text)) << c.schema << " should reject " << text;
    }
  }
}

TEST(JsonSchema, Primitives) {
  run({
      {R"({"type":"string"})",
       {R"("")", R"("abc")", R"("a\"b\\c\/\b\f\n\r\t")", R"("\u00e9\uD83D\uDE00")",
        "\"caf\xC3\xA9\""},
       {R"(abc)", R"("a)", "\"a\nb\"", R"("\x")", R"("\uD800")", R"("\u12")", "\"\xC3\"",
        "\"\xED\xA0\x80\"", "\"\xC0\xAF\""}},
      {R"({"type":"number"})",
       {"0", "-0", "12.5", "-1e10", "3E+2", "0.001"},
       {"01", "1.", ".5", "+1", "1e", "--1"}},
      {R"({"type":"integer"})", {"0", "-7", "123456789012345678901"}, {"01", "-0", "1.0", "1e3"}},
      {R"({"type":"boolean"})", {"true", "false"}, {"True", "1", "null"}},
      {R"({"type":"null"})", {"null"}, {"nil", ""}},
      {R"({"type":["string","null"]})", {"null", R"("x")"}, {"1"}},
  });
}

TEST(JsonSchema, StringLengthsCountCodePoints) {
  run({
      {R"({"type":"string","minLength":2,"maxLength":3})",
       {R"("ab")", R"("abc")", "\"\xC3\xA9\xC3\xA9\"",
        "\"\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\"", R"("\n\u0041")",
        R"("\uD83D\uDE00x")"},
       {R"("a")", R"("abcd")", "\"\xC3\xA9\"", R"("\uD83D\uDE00")"}},
      {R"({"type":"string","maxLength":0})", {R"("")"}, {R"("a")"}},
  });
}

TEST(JsonSchema, IntegerRanges) {
  run({
      {R"({"type":"integer","minimum":-15,"maximum":120})",
       {"-15", "-9", "-1", "0", "7", "99", "100", "120"},
       {"-16", "-20", "121", "130", "999", "-0", "012"}},
      {R"({"type":"integer","exclusiveMinimum":0,"exclusiveMaximum":10})",
       {"1", "9"},
       {"0", "10", "-1"}},
      {R"({"type":"integer","minimum":1.5,"maximum":3.5})", {"2", "3"}, {"1", "4"}},
      {R"({"type":"integer","minimum":-300})",
       {"-300", "-299", "0", "123456789"},
       {"-301", "-1000"}},
      {R"({"type":"integer","maximum":-5})", {"-5", "-6", "-100000"}, {"-4", "0", "5"}},
      {R"({"type":"integer","minimum":9223372036854775806})",
       {"9223372036854775806", "9223372036854775807", "10000000000000000000"},
       {"9223372036854775805", "0"}},
      {R"({"type":"integer","maximum":-9223372036854775807})",
       {"-9223372036854775807", "-9223372036854775808"},
       {"-9223372036854775806", "0"}},
      {R"({"minimum":0,"maximum":0,"type":"integer"})", {"0"}, {"1", "-1"}},
      {R"({"type":"integer","exclusiveMinimum":1.5,"exclusiveMaximum":4.0})",
       {"2", "3"},
       {"1", "4"}},
      {R"({"type":"integer","maximum":18446744073709551615})",
       {"9223372036854775807"},
       {"9223372036854775808"}},
  });
}

TEST(JsonSchema, BoundedNumbers) {
  run({
      {R"({"type":"number","minimum":0,"maximum":5})",
       {"0", "5", "0.5", "4.99", "3"},
       {"-1", "5.5", "6", "-0.5", "1e2"}},
      {R"({"type":"number","minimum":-2.5,"exclusiveMaximum":1})",
       {"-2", "-1.75", "0", "-0.25"},
       {"1", "-3", "1.5", "-2.75"}},
      {R"({"type":"number","exclusiveMinimum":0})", {"1", "2.5", "1000"}, {"0", "-1", "0.0"}},
  });
}

TEST(JsonSchema, IntegerDigitsOnlyWhenACompletionFits) {
  GrammarPtr g = json_schema_text(R"({"type":"integer","minimum":150,"maximum":320})");
  EXPECT_TRUE(testing::prefix_ok(g, "3"));
  EXPECT_TRUE(testing::prefix_ok(g, "32"));
  EXPECT_FALSE(testing::prefix_ok(g, "33"));
  EXPECT_FALSE(testing::prefix_ok(g, "4"));
  EXPECT_FALSE(testing::prefix_ok(g, "0"));
  EXPECT_FALSE(testing::prefix_ok(g, "14"));
  EXPECT_FALSE(testing::prefix_ok(g, "-"));
}

TEST(JsonSchema, Objects) {
  run({
      {R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"}},"required":["a"]})",
       {R"({"a":1})", R"({"a":1,"b":"x"})", "{ \"a\" : 1 , \"b\" : \"x\" }",
        "{\n  \"a\": 1,\n  \"b\": \"x\"\n}"},
       {R"({})", R"({"b":"x"})", R"({"b":"x","a":1})", R"({"a":1,"c":2})", R"({"a":1,})",
        "{  \"a\":1}", "{\"a\":1}\n"}},
      {R"({"type":"object","properties":{"x":{"type":"null"},"y":{"type":"null"}}})",
       {"{}", R"({"x":null})", R"({"y":null})", R"({"x":null,"y":null})"},
       {R"({"y":null,"x":null})", R"({,"y":null})"}},
      {R"({"type":"object","required":["id"]})",
       {R"({"id":[1,{"k":null}]})"},
       {"{}", R"({"other":1})"}},
      {R"({"type":"object"})", {"{}", R"({"any":"thing","n":[true]})"}, {"[]"}},
      {R"({"type":"object","additionalProperties":{"type":"integer"}})",
       {R"({"a":1,"b":2})"},
       {R"({"a":"x"})"}},
      {R"({"type":"object","additionalProperties":false})", {"{}"}, {R"({"a":1})"}},
      {R"({"type":"object","properties":{"a":{"type":"integer"}},"additionalProperties":true})",
       {R"({"a":1})", R"({"b":[1]})", R"({"a":1,"b":"x","c":null})"},
       {R"({"b":1,"a":1})", R"({"a":1,"a":2})"}},
      {R"({"properties":{"a/b~":{"const":1}},"required":["a/b~"]})", {R"({"a/b~":1})"}, {"{}"}},
  });
}

TEST(JsonSchema, ExtraKeysAreNeverDeclaredNames) {
  run({
      {R"({"type":"object","properties":{"ab":{"type":"null"},"\u00e9":{"type":"null"},"q\"":{"type":"null"}},"additionalProperties":{"type":"integer"}})",
       {R"({"ab":null,"a":1})", R"({"abc":1})", R"({"b":1,"x":2})", R"({"":3})", "{\"\xC3\xA8\":1}",
        "{\"\xC3\xA9x\":1}", R"({"q":1})"},
       {R"({"ab":1})", R"({"ab":null,"ab":2})", "{\"\xC3\xA9\":1}", R"({"\u0061b":1})",
        R"({"q\"":1})", R"({"c":"x"})"}},
  });
}

TEST(JsonSchema, PropertiesFollowSchemaOrder) {
  const char* schema =
      R"({"type":"object","properties":{"zeta":{"type":"integer"},"alpha":{"type":"integer"}},"required":["zeta","alpha"]})";
  GrammarPtr ordered = json_schema_text(schema);
  EXPECT_TRUE(testing::matches(ordered, R"({"zeta":1,"alpha":2})"));
  EXPECT_FALSE(testing::matches(ordered, R"({"alpha":2,"zeta":1})"));
  // nlohmann::json sorts keys, so the plain overload generates them alphabetically.
  GrammarPtr sorted = json_schema(nlohmann::json::parse(schema));
  EXPECT_TRUE(testing::matches(sorted, R"({"alpha":2,"zeta":1})"));
}

TEST(JsonSchema, Arrays) {
  run({
      {R"({"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":3})",
       {"[1]", "[1,2,3]", "[ 1 , 2 ]", "[\n1\n]"},
       {"[]", "[1,2,3,4]", "[1,]", "[\"a\"]"}},
      {R"({"type":"array","items":{"type":"boolean"}})",
       {"[]", "[true,false,true,true,false]"},
       {"[null]"}},
      {R"({"type":"array","prefixItems":[{"type":"integer"},{"type":"string"}],"items":false})",
       {"[]", "[1]", R"([1,"a"])"},
       {R"([1,"a",2])", R"(["a"])"}},
      {R"({"type":"array","prefixItems":[{"type":"integer"}],"items":{"type":"null"},"minItems":2})",
       {"[1,null]", "[1,null,null]"},
       {"[1]", "[1,2]"}},
      {R"({"type":"array"})", {"[]", R"([1,"x",{"a":[]}])"}, {"{}"}},
  });
}

TEST(JsonSchema, EnumConstAnyOf) {
  run({
      {R"({"enum":["red","green",3,null,{"a":[1,2]},"gr\u00fcn"]})",
       {R"("red")", R"("green")", "3", "null", R"({"a":[1,2]})", "\"gr\xC3\xBCn\""},
       {R"("blue")", R"("re")", "4", R"({"a": [1, 2]})"}},
      {R"({"type":"string","enum":["a",1]})", {R"("a")"}, {"1"}},
      {R"({"const":"fixed"})", {R"("fixed")"}, {R"("other")"}},
      {R"({"anyOf":[{"type":"integer"},{"type":"string","maxLength":1}]})",
       {"5", R"("x")"},
       {R"("xy")", "null"}},
      {R"({"oneOf":[{"const":1},{"const":2}]})", {"1", "2"}, {"3"}},
      {R"({"allOf":[{"type":"boolean"}]})", {"true"}, {"1"}},
      {"true", {"1", R"({"a":[null]})"}, {"", "nul"}},
      {"{}", {"[]", R"("s")"}, {"x"}},
  });
}

TEST(JsonSchema, Refs) {
  run({
      {R"({"$defs":{"p":{"type":"integer"}},"type":"object","properties":{"x":{"$ref":"#/$defs/p"}},"required":["x"]})",
       {R"({"x":3})"},
       {R"({"x":"3"})"}},
      {R"({"definitions":{"p":{"type":"boolean"}},"type":"array","items":{"$ref":"#/definitions/p"}})",
       {"[true]"},
       {"[1]"}},
      {R"({"type":"object","properties":{"name":{"type":"string"},"children":{"type":"array","items":{"$ref":"#"}}},"required":["name"]})",
       {R"({"name":"a","children":[{"name":"b","children":[{"name":"c"}]}]})"},
       {R"({"name":"a","children":[{}]})"}},
      {R"({"type":"object","properties":{"p":{"$ref":"#/properties/q"},"q":{"type":"null"}},"required":["p"]})",
       {R"({"p":null})"},
       {R"({"p":1})"}},
  });
}

TEST(JsonSchema, Formats) {
  run({
      {R"({"type":"string","format":"date"})",
       {R"("2024-02-28")", R"("1999-12-31")", R"("2024-04-30")"},
       // Sound for calendar-checking validators (ajv-formats): no 31st of a 30-day month, no
       // February 29th (that needs the year's leap rule) or later.
       {R"("2024-13-01")", R"("2024-1-01")", R"("2024-01-32")", R"("2024-04-31")",
        R"("2024-02-29")", R"("6631-02-31")"}},
      {R"({"type":"string","format":"time"})",
       {R"("23:59:59Z")", R"("08:30:00.123+05:30")"},
       {R"("24:00:00Z")", R"("08:30:00")", R"("12:00:60Z")"}},
      {R"({"type":"string","format":"date-time"})",
       {R"("2024-05-01T12:00:00Z")"},
       {R"("2024-05-01 12:00:00Z")"}},
      {R"({"type":"string","format":"uuid"})",
       {R"("123e4567-e89b-12d3-a456-426614174000")"},
       {R"("123e4567e89b12d3a456426614174000")"}},
      {R"({"type":"string","format":"email"})",
       {R"("a.b+c@example.co.uk")"},
       {R"("a@b")", R"("@x.com")", R"("a b@x.com")"}},
  });
}

TEST(JsonSchema, PatternsAreUnanchoredUnlessAnchored) {
  run({
      {R"({"type":"string","pattern":"abc"})",
       {R"("abc")", R"("xxabcyy")"},
       {R"("ab")", R"("a\"bc")"}},
      {R"({"type":"string","pattern":"^abc$"})", {R"("abc")"}, {R"("xabc")", R"("abcx")"}},
      {R"({"type":"string","pattern":"^ab"})", {R"("ab")", R"("abzz")"}, {R"("zab")"}},
      {R"({"type":"string","pattern":"c$"})", {R"("abc")", R"("c")"}, {R"("cd")"}},
      {R"({"type":"string","pattern":"^[A-Z]{2}\\d{2,3}$|^x$"})",
       {R"("AB12")", R"("AB123")", R"("x")"},
       {R"("AB1")", R"("ab12")"}},
      {R"({"type":"string","pattern":"^(?:\\w+\\s)*\\w+$"})",
       {R"("hello big world")"},
       {R"("hello  world")"}},
      {R"({"type":"string","pattern":"^[^a-z\"]+$"})", {R"("ABC 1")"}, {R"("aBC")"}},
  });
}

}  // namespace
}  // namespace odma::grammar
