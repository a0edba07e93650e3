// Budgets: a template that loops, recurses or grows without bound fails with an error instead of
// hanging or exhausting memory (ChatTemplateLimits).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tokenizer/chat_template_test_util.h"

namespace odma::tokenizer {
namespace {

using odma::testing::chat_error_of;
using ::testing::HasSubstr;

std::string render_error(const std::string& source, const ChatTemplateLimits& limits = {}) {
  auto t = ChatTemplate::parse(source, "t.jinja");
  t.set_limits(limits);
  return chat_error_of([&] { t.render({{"user", "hi"}}, false); });
}

TEST(ChatTemplateLimits, HugeRangeFailsBeforeBuildingIt) {
  EXPECT_THAT(render_error("{% for i in range(10**9) %}x{% endfor %}"),
              HasSubstr("line 1:13: render step budget exceeded (20000000 steps)"));
}

TEST(ChatTemplateLimits, NestedLoopsRunOutOfSteps) {
  ChatTemplateLimits small;
  small.max_steps = 100'000;
  EXPECT_THAT(
      render_error(
          "{% for i in range(1000) %}{% for j in range(1000) %}{{ j }}{% endfor %}{% endfor %}",
          small),
      HasSubstr("render step budget exceeded (100000 steps)"));
}

TEST(ChatTemplateLimits, RecursionIsBounded) {
  EXPECT_THAT(render_error("{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}"),
              HasSubstr("macro calls nested deeper than 64"));
  ChatTemplateLimits shallow;
  shallow.max_call_depth = 3;
  auto t = ChatTemplate::parse(
      "{% macro r(n) %}{% if n > 0 %}{{ r(n - 1) }}{% endif %}{{ n }}{% endmacro %}{{ r(2) }}", "");
  t.set_limits(shallow);
  EXPECT_EQ(t.render({}, false), "012");  // depth 3 fits; the counter unwinds after each call
  EXPECT_EQ(t.render({}, false), "012");
}

TEST(ChatTemplateLimits, OutputSizeIsBounded) {
  ChatTemplateLimits tiny;
  tiny.max_output_bytes = 1000;
  EXPECT_THAT(render_error("{% for i in range(1000) %}abcdefghij{% endfor %}", tiny),
              HasSubstr("render output limit exceeded (1000 bytes)"));
  EXPECT_THAT(render_error("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = "
                           "ns.s ~ ns.s %}{% endfor %}",
                           tiny),
              HasSubstr("render output limit exceeded (a string of 1024 bytes"));
}

TEST(ChatTemplateLimits, DoublingAStringStopsAtTheDefaultLimit) {
  EXPECT_THAT(render_error("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = "
                           "ns.s ~ ns.s %}{% endfor %}"),
              HasSubstr("render output limit exceeded (a string of 134217728 bytes"));
}

TEST(ChatTemplateLimits, NestingDepthIsBounded) {
  EXPECT_THAT(render_error("{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% set ns.x "
                           "= [ns.x] %}{% endfor %}"),
              HasSubstr("lists/dicts nested deeper than 256"));
  nlohmann::ordered_json deep = 1;
  for (int i = 0; i < 300; ++i) deep = nlohmann::ordered_json::array({deep});
  auto t = ChatTemplate::parse("{{ x|length }}", "t.jinja");
  EXPECT_THAT(chat_error_of([&] {
                t.render_context({{"x", deep}});
              }),
              HasSubstr("nested too deeply"));
}

TEST(ChatTemplateLimits, SelfReferencingNamespaceNeitherHangsNorLeaks) {
  auto t = ChatTemplate::parse(
      "{% set ns = namespace() %}{% set ns.me = ns %}ok{{ ns.me.me.me is defined }}", "");
  EXPECT_EQ(t.render({}, false), "oktrue");  // the cycle is broken after the render (LeakSanitizer)
  EXPECT_THAT(render_error("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}"),
              HasSubstr("nested too deeply"));
}

}  // namespace
}  // namespace odma::tokenizer
