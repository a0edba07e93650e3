// Schemas the compiler must refuse: unsupported keywords (named by path), malformed values and
// unsatisfiable schemas.
#include <gtest/gtest.h>

#include "grammar/grammar.h"

namespace odma::grammar {
namespace {

std::string error_path(const char* schema) {
  try {
    (void)json_schema_text(schema);
  } catch (const GrammarError& e) {
    return e.path();
  }
  return "(compiled)";
}

TEST(JsonSchemaErrors, UnsupportedKeywordsNameTheirPath) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"type":"object","properties":{"tags":{"type":"array","uniqueItems":true}}})",
       "/properties/tags/uniqueItems"},
      {R"({"type":"object","patternProperties":{"^x":{}}})", "/patternProperties"},
      {R"({"type":"integer","multipleOf":2})", "/multipleOf"},
      {R"({"type":"object","minProperties":1})", "/minProperties"},
      {R"({"not":{"type":"null"}})", "/not"},
      {R"({"if":{},"then":{}})", "/if"},
      {R"({"type":"array","contains":{"type":"null"}})", "/contains"},
      {R"({"$defs":{"a":{"type":"string","contentEncoding":"base64"}},"$ref":"#/$defs/a"})",
       "/$defs/a/contentEncoding"},
      {R"({"anyOf":[{"type":"string"},{"type":"string","dependentRequired":{}}]})",
       "/anyOf/1/dependentRequired"},
      {R"({"type":"object","properties":{"a~b/c":{"nullable":true}}})",
       "/properties/a~0b~1c/nullable"},
      {R"({"type":"string","format":"hostname"})", "/format"},
      {R"({"type":"string","pattern":"a","maxLength":3})", "/maxLength"},
      {R"j({"type":"string","pattern":"(?=a)"})j", "/pattern"},
      {R"({"type":"string","pattern":"\\bword"})", "/pattern"},
      {R"({"type":"string","pattern":"(a)\\1"})", "/pattern"},
      {R"({"type":"string","pattern":"a^b"})", "/pattern"},
      {R"({"allOf":[{"type":"string"},{"minLength":1}]})", "/allOf"},
      {R"({"type":"string","anyOf":[{"minLength":1}]})", "/type"},
      {R"({"$ref":"#/$defs/missing"})", "/$ref"},
      {R"({"$ref":"other.json#/x"})", "/$ref"},
      {R"({"type":"strin"})", "/type"},
      {R"({"type":"string","minLength":-1})", "/minLength"},
      {R"({"type":"array","maxItems":100000})", "/maxItems"},
      {R"({"type":"object","required":"a"})", "/required"},
      {R"(5)", ""},
      {R"({"type":"integer","minimum":18446744073709551615})", "/minimum"},
  };
  for (const auto& [schema, path] : cases) EXPECT_EQ(error_path(schema), path) << schema;
}

TEST(JsonSchemaErrors, UnsatisfiableSchemas) {
  const std::pair<const char*, const char*> cases[] = {
      {R"(false)", ""},
      {R"({"type":"string","minLength":5,"maxLength":2})", ""},
      {R"({"enum":[]})", ""},
      {R"({"type":"integer","minimum":10,"maximum":5})", ""},
      {R"({"type":"integer","exclusiveMinimum":4,"exclusiveMaximum":5})", ""},
      {R"({"type":"object","properties":{"x":{"type":"string","minLength":3,"maxLength":1}},"required":["x"]})",
       "/properties/x"},
      {R"({"type":"object","properties":{"a":false},"required":["a"]})", "/properties/a"},
      {R"({"anyOf":[{"type":"string","enum":[1]}]})", "/anyOf/0"},
      {R"({"type":"object","properties":{"a":{"$ref":"#"}},"required":["a"]})", ""},
      {R"({"type":"array","items":false,"minItems":1})", ""},
      {R"({"type":[]})", ""},
  };
  for (const auto& [schema, path] : cases) {
    try {
      (void)json_schema_text(schema);
      ADD_FAILURE() << "compiled: " << schema;
    } catch (const GrammarError& e) {
      EXPECT_EQ(e.path(), path) << schema;
      EXPECT_NE(std::string(e.what()).find("no JSON value satisfies the schema"), std::string::npos)
          << e.what();
    }
  }
}

TEST(JsonSchemaErrors, SatisfiableDespiteDeadBranches) {
  // An optional property that cannot be satisfied is simply never generated.
  EXPECT_NO_THROW(
      (void)json_schema_text(R"({"type":"object","properties":{"a":false,"b":{"type":"null"}}})"));
  EXPECT_NO_THROW((void)json_schema_text(R"({"anyOf":[false,{"type":"null"}]})"));
  // Recursion with a base case.
  EXPECT_NO_THROW((void)json_schema_text(R"({"type":"object","properties":{"a":{"$ref":"#"}}})"));
}

TEST(JsonSchemaErrors, MalformedText) {
  EXPECT_THROW((void)json_schema_text("{"), GrammarError);
}

TEST(Builders, RegexErrors) {
  EXPECT_THROW((void)regex("(a"), GrammarError);
  EXPECT_THROW((void)regex("a{5,2}"), GrammarError);
  EXPECT_THROW((void)regex("[]"), GrammarError);  // matches nothing
  EXPECT_THROW((void)repeat(nullptr, 0, 1), GrammarError);
}

}  // namespace
}  // namespace odma::grammar
