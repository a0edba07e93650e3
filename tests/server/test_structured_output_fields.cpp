// Reading structured-output and tool fields from request bodies: which grammar a request gets
// (response_format, vLLM's structured_outputs and guided_*), tool_choice's defaults and shapes,
// and the 400 each malformed or unsupported value gets, naming the field.
#include <gtest/gtest.h>

#include "grammar/matcher.h"
#include "server/openai_request.h"
#include "server/request_test_util.h"

namespace odma::server {
namespace {

using testing::chat_body;
using testing::completion_body;
using testing::error_of;
using testing::expect_bad_request;
using testing::json;
using testing::value_of;
constexpr auto kChat = GenerationRequest::Kind::kChat;
constexpr auto kCompletion = GenerationRequest::Kind::kCompletion;

GenerationRequest chat(const json& extra) {
  return value_of(parse_generation_request(chat_body(extra), kChat));
}
ApiError chat_error(const json& extra) {
  return error_of(parse_generation_request(chat_body(extra), kChat));
}

// Whether `g`'s language holds `text` whole (a one-byte-per-token vocabulary suffices to ask).
bool accepts(const grammar::GrammarPtr& g, const std::string& text) {
  std::vector<std::string> bytes;
  for (int b = 0; b < 256; ++b) bytes.emplace_back(1, static_cast<char>(b));
  auto v =
      std::make_shared<const grammar::Vocabulary>(std::move(bytes), std::vector<std::int32_t>{});
  grammar::Matcher m(g, v);
  return m.accept_bytes(text) && m.can_end();
}

TEST(StructuredOutputFields, TextFormatAndNoFieldGiveFreeText) {
  EXPECT_EQ(chat(json::object()).grammar, nullptr);
  EXPECT_EQ(chat({{"response_format", {{"type", "text"}}}}).grammar, nullptr);
  EXPECT_EQ(chat({{"response_format", nullptr}, {"guided_json", nullptr}}).grammar, nullptr);
}

TEST(StructuredOutputFields, EachFieldGivesItsGrammar) {
  const json schema = {
      {"type", "object"}, {"properties", {{"a", {{"type", "integer"}}}}}, {"required", {"a"}}};
  const auto object = chat({{"response_format", {{"type", "json_object"}}}}).grammar;
  ASSERT_NE(object, nullptr);
  EXPECT_TRUE(accepts(object, R"({"x": [1, "y"]})"));
  EXPECT_FALSE(accepts(object, "[1]"));
  for (const json& ask :
       {json{{"response_format",
              {{"type", "json_schema"}, {"json_schema", {{"name", "n"}, {"schema", schema}}}}}},
        json{{"guided_json", schema}}, json{{"guided_json", schema.dump()}},
        json{{"structured_outputs", {{"json", schema}}}}}) {
    SCOPED_TRACE(ask.dump());
    const auto g = chat(ask).grammar;
    ASSERT_NE(g, nullptr);
    EXPECT_TRUE(accepts(g, R"({"a": 12})"));
    EXPECT_FALSE(accepts(g, R"({"a": "12"})"));
  }
  const auto choice =
      value_of(parse_generation_request(completion_body({{"guided_choice", {"yes", "no"}}}),
                                        kCompletion))
          .grammar;
  EXPECT_TRUE(accepts(choice, "no"));
  EXPECT_FALSE(accepts(choice, "maybe"));
  const auto regex = chat({{"structured_outputs", {{"regex", "[a-c]{2}[0-9]"}}}}).grammar;
  EXPECT_TRUE(accepts(regex, "ab7"));
  EXPECT_FALSE(accepts(regex, "ab"));
  EXPECT_NE(chat({{"structured_outputs", {{"json_object", true}}}}).grammar, nullptr);
}

TEST(StructuredOutputFields, OneSchemaCompilesOnceAndIsShared) {
  const json ask = {{"guided_json", {{"type", "array"}, {"items", {{"type", "boolean"}}}}}};
  EXPECT_EQ(chat(ask).grammar, chat(ask).grammar);  // the process-wide cache
}

TEST(StructuredOutputFields, MalformedOrUnsupportedIs400NamingTheField) {
  expect_bad_request(chat_error({{"response_format", json::object()}}), "response_format.type",
                     "`response_format.type` is required.");
  expect_bad_request(chat_error({{"response_format", "text"}}), "response_format",
                     "`response_format` must be an object, got string.");
  EXPECT_EQ(chat_error({{"response_format", {{"type", "json_schema"}}}}).param,
            "response_format.json_schema");
  EXPECT_EQ(
      chat_error({{"response_format", {{"type", "json_schema"}, {"json_schema", json::object()}}}})
          .param,
      "response_format.json_schema.schema");
  EXPECT_EQ(chat_error({{"response_format", {{"type", "yaml"}}}}).param, "response_format.type");
  const ApiError unsupported =
      chat_error({{"guided_json", {{"type", "string"}, {"not", {{"const", "a"}}}}}});
  EXPECT_EQ(unsupported.param, "guided_json");
  EXPECT_NE(unsupported.message.find("not"), std::string::npos) << unsupported.message;
  EXPECT_EQ(chat_error({{"guided_json", "{not json"}}).param, "guided_json");
  EXPECT_EQ(chat_error({{"guided_regex", 5}}).param, "guided_regex");
  EXPECT_EQ(chat_error({{"guided_choice", {"a", 1}}}).param, "guided_choice");
  EXPECT_EQ(chat_error({{"structured_outputs", {{"grammar", "root ::= \"a\""}}}}).param,
            "structured_outputs.grammar");
  EXPECT_EQ(chat_error({{"guided_json", json::object()}, {"guided_regex", "a"}}).param,
            "guided_regex");
  EXPECT_EQ(chat_error({{"guided_regex", "a"}, {"ignore_eos", true}}).param, "ignore_eos");
}

TEST(ToolFields, ToolChoiceDefaultsToAutoWithToolsAndNoneWithout) {
  const json tool = {{"type", "function"},
                     {"function", {{"name", "get_weather"}, {"parameters", {{"type", "object"}}}}}};
  EXPECT_EQ(chat(json::object()).tool_choice.mode, ToolChoice::Mode::kNone);
  const GenerationRequest g = chat({{"tools", {tool}}});
  EXPECT_EQ(g.tool_choice.mode, ToolChoice::Mode::kAuto);
  EXPECT_EQ(g.tools.size(), 1u);
  EXPECT_TRUE(g.parallel_tool_calls);
  const GenerationRequest named =
      chat({{"tools", {tool}},
            {"tool_choice", {{"type", "function"}, {"function", {{"name", "get_weather"}}}}},
            {"parallel_tool_calls", false}});
  EXPECT_EQ(named.tool_choice.mode, ToolChoice::Mode::kFunction);
  EXPECT_EQ(named.tool_choice.function, "get_weather");
  EXPECT_FALSE(named.parallel_tool_calls);
  EXPECT_EQ(chat({{"tools", {tool}}, {"tool_choice", "required"}}).tool_choice.mode,
            ToolChoice::Mode::kRequired);
  EXPECT_EQ(chat({{"tool_choice", "auto"}}).tool_choice.mode, ToolChoice::Mode::kNone);
}

TEST(ToolFields, MalformedToolsAndChoicesAre400) {
  const json tool = {{"type", "function"}, {"function", {{"name", "f"}}}};
  EXPECT_EQ(chat_error({{"tools", json::object()}}).param, "tools");
  EXPECT_EQ(chat_error({{"tools", {{{"type", "function"}}}}}).param, "tools");
  EXPECT_EQ(chat_error({{"tools", {tool, tool}}}).param, "tools");            // a duplicate name
  EXPECT_EQ(chat_error({{"tool_choice", "required"}}).param, "tool_choice");  // no tools
  EXPECT_EQ(chat_error({{"tools", {tool}}, {"tool_choice", "any"}}).param, "tool_choice");
  EXPECT_EQ(chat_error({{"tools", {tool}}, {"tool_choice", 1}}).param, "tool_choice");
  EXPECT_EQ(chat_error({{"tools", {tool}},
                        {"tool_choice", {{"type", "function"}, {"function", {{"name", "g"}}}}}})
                .param,
            "tool_choice");
  EXPECT_EQ(chat_error({{"tools", {tool}}, {"parallel_tool_calls", "yes"}}).param,
            "parallel_tool_calls");
}

}  // namespace
}  // namespace odma::server
