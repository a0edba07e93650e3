// Errors: what the subset does not support fails when the template is loaded, naming the
// construct and its line:column; runtime errors name the template line and keep the template's
// own message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tokenizer/chat_template_test_util.h"

namespace odma::tokenizer {
namespace {

using odma::testing::chat_error_of;
using ::testing::HasSubstr;

std::string load_error(const std::string& source) {
  return chat_error_of([&] { ChatTemplate::parse(source, "t.jinja"); });
}

std::string render_error(const std::string& source, const nlohmann::ordered_json& vars = {}) {
  return chat_error_of([&] {
    ChatTemplate::parse(source, "t.jinja")
        .render_context(vars.is_null() ? nlohmann::ordered_json::object() : vars);
  });
}

TEST(ChatTemplateErrors, UnsupportedFilterNamesItAndItsPosition) {
  EXPECT_EQ(load_error("{{ x | wordcount }}"),
            "t.jinja: chat template line 1:8: unsupported filter 'wordcount'");
  EXPECT_EQ(load_error("hello\n{% if x %}\n  {{ y|wordcount }}\n{% endif %}"),
            "t.jinja: chat template line 3:8: unsupported filter 'wordcount'");
}

TEST(ChatTemplateErrors, PositionsSurviveWhitespacePreprocessing) {
  // lstrip_blocks removes the two spaces and trim_blocks the newline before the error; the
  // column still counts the original text, in characters (é is one).
  EXPECT_EQ(load_error("{% if a %}\n  {% if x|wordcount %}"),
            "t.jinja: chat template line 2:11: unsupported filter 'wordcount'");
  EXPECT_EQ(load_error("é {{ x|nope }}"),
            "t.jinja: chat template line 1:8: unsupported filter 'nope'");
}

TEST(ChatTemplateErrors, UnsupportedConstructs) {
  EXPECT_THAT(load_error("{{ x is divisibleby 3 }}"),
              HasSubstr("line 1:9: unsupported test 'divisibleby'"));
  EXPECT_THAT(load_error("{{ x is eq }}"), HasSubstr("test 'eq' needs an argument"));
  EXPECT_THAT(load_error("{% include 'other.jinja' %}"),
              HasSubstr("line 1:1: unsupported statement 'include'"));
  EXPECT_THAT(load_error("a\n{% raw %}{{ x }}{% endraw %}"),
              HasSubstr("line 2:1: unsupported statement 'raw'"));
  EXPECT_THAT(load_error("{% extends 'base' %}"), HasSubstr("unsupported statement 'extends'"));
  EXPECT_THAT(load_error("{% frobnicate %}"), HasSubstr("unknown statement 'frobnicate'"));
  EXPECT_THAT(load_error("{{ lipsum(2) }}"), HasSubstr("line 1:4: unsupported function 'lipsum'"));
  EXPECT_THAT(load_error("{{ x.format(1) }}"), HasSubstr("line 1:5: unsupported method 'format'"));
  EXPECT_THAT(load_error("{{ xs.append(1) }}"), HasSubstr("unsupported method 'append'"));
  EXPECT_THAT(load_error("{{ x|default }}"), HasSubstr("filter 'default' needs arguments"));
  EXPECT_THAT(load_error("{{ x|trim() }}"), HasSubstr("filter 'trim' takes no arguments"));
  EXPECT_THAT(load_error("{{ x|tojson(sort_keys=true) }}"),
              HasSubstr("unsupported tojson argument 'sort_keys'"));
  EXPECT_THAT(load_error("{{ xs|map('upper') }}"), HasSubstr("map(...)"));
  EXPECT_THAT(load_error("{{ xs|selectattr(name) }}"), HasSubstr("must be string literals"));
  EXPECT_THAT(load_error("{{ xs|selectattr('a', 'frob') }}"), HasSubstr("unsupported test 'frob'"));
  EXPECT_THAT(load_error("{% set x[0] = 1 %}"), HasSubstr("cannot assign to this expression"));
  EXPECT_THAT(load_error("{% break %}"), HasSubstr("{% break %} outside a for loop"));
  EXPECT_THAT(load_error("{% for x in y %}{% macro m() %}{% continue %}{% endmacro %}{% endfor %}"),
              HasSubstr("{% continue %} outside a for loop"));
}

TEST(ChatTemplateErrors, CallsToMacrosAndAssignedNamesAreAllowed) {
  EXPECT_NO_THROW(ChatTemplate::parse("{{ m() }}{% macro m() %}{% endmacro %}", ""));
  EXPECT_NO_THROW(ChatTemplate::parse("{% set f = namespace %}{{ f() }}", ""));
  EXPECT_NO_THROW(ChatTemplate::parse("{{ raise_exception('x') if false }}{{ range(2) }}", ""));
}

TEST(ChatTemplateErrors, UnterminatedTags) {
  EXPECT_EQ(load_error("ab {{ x"),
            "t.jinja: chat template line 1:4: unclosed '{{' (expected '}}')");
  EXPECT_EQ(load_error("{% if x"),
            "t.jinja: chat template line 1:1: unclosed '{%' (expected '%}')");
  EXPECT_EQ(load_error("a\n{% if x %}abc"),
            "t.jinja: chat template line 2:1: unclosed {% if %}: expected {% endif %}");
  EXPECT_THAT(load_error("{% for x in y %}{{ x }}"), HasSubstr("line 1:1: unclosed {% for %}"));
  EXPECT_THAT(load_error("{% macro m() %}x"), HasSubstr("unclosed {% macro %}"));
  EXPECT_THAT(load_error("{% set x %}abc"), HasSubstr("unclosed {% set %}"));
  EXPECT_THAT(load_error("x {# comment"), HasSubstr("line 1:3: unclosed comment (expected '#}')"));
  EXPECT_THAT(load_error("{{ 'abc }}"), HasSubstr("line 1:4: unterminated string literal"));
  EXPECT_THAT(load_error("{{ x }"), HasSubstr("unclosed '{{'"));
}

TEST(ChatTemplateErrors, MisplacedTagsAndBadSyntax) {
  EXPECT_THAT(load_error("{% endfor %}"),
              HasSubstr("unexpected {% endfor %} (no open block it could close)"));
  EXPECT_THAT(load_error("{% for x in y %}{% endif %}"),
              HasSubstr("line 1:17: unexpected {% endif %}"));
  EXPECT_THAT(load_error("{{ x ! y }}"), HasSubstr("line 1:6: unexpected character '!'"));
  EXPECT_THAT(load_error("{{ '\\q' }}"), HasSubstr("invalid escape '\\q'"));
  EXPECT_THAT(load_error("{{ 1 + }}"),
              HasSubstr("line 1:8: unexpected '}}', expected an expression"));
  EXPECT_THAT(load_error("{{ f(a=1, 2) }}{% macro f() %}{% endmacro %}"),
              HasSubstr("positional argument follows keyword argument"));
  EXPECT_THAT(load_error("{% macro f(a, a) %}{% endmacro %}"),
              HasSubstr("duplicate parameter name 'a'"));
  EXPECT_THAT(load_error("{% for 1 in y %}{% endfor %}"), HasSubstr("expected a name or names"));
}

TEST(ChatTemplateErrors, DeepNestingFailsCleanly) {
  std::string deep = "{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}";
  EXPECT_THAT(load_error(deep), HasSubstr("template nested too deeply"));
  std::string nots = "{{ " + std::string(0, ' ');
  for (int i = 0; i < 5000; ++i) nots += "not ";
  EXPECT_THAT(load_error(nots + "x }}"), HasSubstr("template nested too deeply"));
  std::string ifs;
  for (int i = 0; i < 5000; ++i) ifs += "{% if x %}";
  EXPECT_THAT(load_error(ifs), HasSubstr("template nested too deeply"));
}

TEST(ChatTemplateErrors, RaiseExceptionKeepsTheTemplatesMessage) {
  EXPECT_EQ(render_error("ok\n  {{ raise_exception('Conversation roles must alternate') }}"),
            "t.jinja: chat template line 2:6: Conversation roles must alternate");
  auto llama2 = odma::testing::shipped_chat_template("llama2_chat");
  EXPECT_THAT(chat_error_of([&] {
                llama2.render({{"user", "a"}, {"user", "b"}}, true);
              }),
              HasSubstr("Conversation roles must alternate user/assistant/user/assistant/..."));
}

TEST(ChatTemplateErrors, TypeErrorsAtRenderTime) {
  EXPECT_THAT(render_error("{{ 1 + [] }}"),
              HasSubstr("line 1:6: Unknown operator \"+\" between IntegerValue and ArrayValue"));
  EXPECT_THAT(render_error("{% for c in 'abc' %}{% endfor %}"),
              HasSubstr("Expected iterable or object type in for loop: got StringValue"));
  EXPECT_THAT(render_error("{{ m() }}{% macro m() %}{% endmacro %}"),
              HasSubstr("Cannot call something that is not a function: got UndefinedValue"));
  EXPECT_THAT(render_error("{{ x|trim }}", {{"x", nullptr}}),
              HasSubstr("Cannot apply filter \"trim\" to type: NullValue"));
  EXPECT_THAT(render_error("{{ x.y.z + 1 }}"),
              HasSubstr("Cannot perform operation + on undefined values"));
  EXPECT_THAT(render_error("{{ xs[1.5] }}", {{"xs", {1}}}), HasSubstr("non-string/non-number"));
}

TEST(ChatTemplateErrors, BadRenderArguments) {
  auto t = ChatTemplate::parse("{{ x }}", "t.jinja");
  EXPECT_THAT(chat_error_of([&] {
                t.render({}, false, {{"range", 1}});
              }),
              HasSubstr("variable 'range' is a builtin"));
  EXPECT_THAT(chat_error_of([&] { t.render({}, false, nlohmann::ordered_json::array()); }),
              HasSubstr("extra_context must be a JSON object"));
  EXPECT_THAT(chat_error_of([&] { t.render_context(5); }),
              HasSubstr("variables must be a JSON object"));
}

}  // namespace
}  // namespace odma::tokenizer
