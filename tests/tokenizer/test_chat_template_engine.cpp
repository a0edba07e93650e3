// The engine construct by construct. Most cases live in data/chat_templates/fixtures/
// engine_cases.json (template, variables, expected output written by hand), which
// tests/node/render_golden.mjs also checks against @huggingface/jinja; the tests below that are
// written out here cover the C++ API around the engine.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tokenizer/chat_template_test_util.h"

namespace odma::tokenizer {
namespace {

using nlohmann::ordered_json;
using odma::testing::chat_error_of;
using odma::testing::chat_template;
using ::testing::HasSubstr;

TEST(ChatTemplateEngine, OracleCheckedCases) {
  const ordered_json fixture = odma::testing::chat_fixture("fixtures/engine_cases.json");
  int checked = 0;
  for (const auto& c : fixture["cases"]) {
    const std::string name = c["name"].get<std::string>();
    SCOPED_TRACE(name + ": " + c["template"].get<std::string>());
    const ordered_json context = c.value("context", ordered_json::object());
    if (c.contains("expect")) {
      std::string got;
      EXPECT_NO_THROW(got =
                          chat_template(c["template"].get<std::string>()).render_context(context));
      EXPECT_EQ(got, c["expect"].get<std::string>());
    } else {
      std::string message = chat_error_of(
          [&] { chat_template(c["template"].get<std::string>()).render_context(context); });
      EXPECT_THAT(message, HasSubstr(c["expect_error"].get<std::string>()));
    }
    ++checked;
  }
  EXPECT_GE(checked, 90);
}

TEST(ChatTemplateEngine, RenderPassesWhatTransformersJsPasses) {
  auto t = chat_template(
      "{% for m in messages %}{{ m.role }}:{{ m.content }};{% endfor %}"
      "{{ add_generation_prompt }}|{{ tools is none }}{{ documents is none }}|{{ bos_token }}");
  t.set_special_token("bos_token", "<s>");
  EXPECT_EQ(t.render({{"system", "S"}, {"user", "U"}}, true), "system:S;user:U;true|truetrue|<s>");
  EXPECT_EQ(t.render({}, false), "false|truetrue|<s>");
}

TEST(ChatTemplateEngine, ExtraContextWinsOverDefaults) {
  auto t = chat_template(
      "{{ messages|length }}|{{ messages[0].tool_calls[0].name }}|{{ bos_token }}|{{ tools|length "
      "}}");
  t.set_special_token("bos_token", "<s>");
  ordered_json extra = {{"messages", {{{"role", "assistant"}, {"tool_calls", {{{"name", "f"}}}}}}},
                        {"bos_token", "<B>"},
                        {"tools", {1, 2, 3}}};
  EXPECT_EQ(t.render({{"user", "ignored"}, {"user", "ignored"}}, false, extra), "1|f|<B>|3");
}

TEST(ChatTemplateEngine, RenderContextPassesOnlyTheGivenVariables) {
  auto t = chat_template("{{ messages is defined }}{{ add_generation_prompt is defined }}{{ x }}");
  EXPECT_EQ(t.render_context({{"x", 7}}), "falsefalse7");
}

TEST(ChatTemplateEngine, MessageContentIsNeverInterpreted) {
  auto t = chat_template("{% for m in messages %}[{{ m.content }}]{% endfor %}");
  EXPECT_EQ(t.render({{"user", "{{ 7 * 6 }} {% if true %}x{% endif %} {# c #}"}}, false),
            "[{{ 7 * 6 }} {% if true %}x{% endif %} {# c #}]");
}

TEST(ChatTemplateEngine, MissingMessageFieldsAreUndefined) {
  auto t = chat_template(
      "{% for m in messages %}{{ m.tool_calls is defined }}{{ 'tool_calls' in m }}"
      "{% if m.tool_calls %}T{% else %}F{% endif %}{{ m.tool_calls|default('none') }}{% endfor %}");
  EXPECT_EQ(t.render({{"assistant", "hi"}}, false), "falsefalseFnone");
}

TEST(ChatTemplateEngine, TemplatesAreReusableAndCopiesShareTheParse) {
  auto t = chat_template(
      "{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ "
      "ns.n }}");
  ChatTemplate copy = t;
  EXPECT_EQ(t.render({{"user", "a"}}, false), "1");
  EXPECT_EQ(copy.render({{"user", "a"}, {"user", "b"}}, false), "2");
  EXPECT_EQ(t.render({{"user", "a"}}, false), "1");  // no state leaks between renders
  EXPECT_EQ(&t.source(), &copy.source());
}

TEST(ChatTemplateEngine, StrftimeNowUsesTheInjectedClock) {
  auto t = chat_template("{{ strftime_now('%d %b %Y') }}");
  EXPECT_EQ(t.render({}, false), "09 Mar 2025");
  t.set_clock([] {
    std::tm tm{};
    tm.tm_year = 124;
    tm.tm_mon = 6;
    tm.tm_mday = 26;
    return tm;
  });
  EXPECT_EQ(t.render({}, false), "26 Jul 2024");
}

TEST(ChatTemplateEngine, SelectAndRejectAreExtensions) {
  // The oracle lacks select/reject; Llama 3.1's template uses reject only with builtin_tools.
  auto t = odma::testing::shipped_chat_template("llama3_1_instruct");
  std::string out =
      t.render({{"user", "hi"}}, true,
               {{"builtin_tools", {"code_interpreter", "brave_search", "wolfram_alpha"}}});
  EXPECT_THAT(out, HasSubstr("Environment: ipython\nTools: brave_search, wolfram_alpha\n\n"));
}

}  // namespace
}  // namespace odma::tokenizer
