// `messages` of /v1/chat/completions: roles, content forms, and every way to get them wrong.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/openai_request.h"
#include "server/request_test_util.h"

namespace odma::server {
namespace {

using testing::chat_body;
using testing::error_of;
using testing::expect_bad_request;
using testing::json;
using testing::value_of;

// `messages` as a JSON value (any type) in a chat body.
ApiError fail_value(const json& messages) {
  json body = chat_body();
  body["messages"] = messages;
  return error_of(parse_generation_request(body, GenerationRequest::Kind::kChat));
}

// Vectors, not braced lists: nlohmann reads a braced list of one object as that object.
std::vector<ChatMessage> parse(const std::vector<json>& messages) {
  json body = chat_body();
  body["messages"] = messages;
  return value_of(parse_generation_request(body, GenerationRequest::Kind::kChat)).messages;
}

ApiError fail(const std::vector<json>& messages) {
  return fail_value(messages);
}

// A content array of `parts`.
json parts(const std::vector<json>& p) {
  return p;
}

json msg(const char* role, json content) {
  return {{"role", role}, {"content", content}};
}

ChatMessage without_content(const char* role) {
  ChatMessage m(role, "");
  m.has_content = false;
  return m;
}

TEST(ChatMessages, SystemUserAndAssistantKeepTheirOrderAndText) {
  const std::vector<ChatMessage> expected = {
      {"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello!"}, {"user", "Bye"}};
  EXPECT_EQ(parse({msg("system", "Be brief."), msg("user", "Hi"), msg("assistant", "Hello!"),
                   msg("user", "Bye")}),
            expected);
}

TEST(ChatMessages, DeveloperRoleIsReadAsSystem) {
  EXPECT_EQ(parse({msg("developer", "Be brief.")}),
            (std::vector<ChatMessage>{{"system", "Be brief."}}));
}

TEST(ChatMessages, TextPartsAreJoinedWithNewlines) {
  const json content =
      parts({{{"type", "text"}, {"text", "a"}}, {{"type", "text"}, {"text", "b"}}});
  EXPECT_EQ(parse({msg("user", content)}), (std::vector<ChatMessage>{{"user", "a\nb"}}));
}

TEST(ChatMessages, EmptyPartListIsEmptyText) {
  EXPECT_EQ(parse({msg("user", json::array())}), (std::vector<ChatMessage>{{"user", ""}}));
}

TEST(ChatMessages, AssistantContentMayBeNull) {
  EXPECT_EQ(parse({msg("user", "Hi"), msg("assistant", nullptr)})[1], without_content("assistant"));
}

TEST(ChatMessages, AssistantContentMayBeAbsent) {
  EXPECT_EQ(parse({msg("user", "Hi"), {{"role", "assistant"}}})[1], without_content("assistant"));
}

TEST(ChatMessages, AssistantWithEmptyToolCallsIsAccepted) {
  EXPECT_EQ(parse({{{"role", "assistant"}, {"content", "x"}, {"tool_calls", json::array()}}})[0],
            (ChatMessage{"assistant", "x"}));
}

TEST(ChatMessages, NameAndOtherMessageFieldsAreIgnored) {
  EXPECT_EQ(parse({{{"role", "user"}, {"content", "x"}, {"name", "ann"}, {"foo", 1}}})[0],
            (ChatMessage{"user", "x"}));
}

TEST(ChatMessages, MissingMessagesIs400) {
  json body = chat_body();
  body.erase("messages");
  expect_bad_request(error_of(parse_generation_request(body, GenerationRequest::Kind::kChat)),
                     "messages", "`messages` is required.");
}

TEST(ChatMessages, NullMessagesIs400) {
  expect_bad_request(fail_value(nullptr), "messages", "`messages` is required.");
}

TEST(ChatMessages, EmptyMessagesIs400) {
  expect_bad_request(fail_value(json::array()), "messages",
                     "`messages` must contain at least one message.");
}

TEST(ChatMessages, MessagesThatAreNotAnArrayIs400) {
  expect_bad_request(fail_value("hi"), "messages", "`messages` must be an array, got string.");
}

TEST(ChatMessages, MessageThatIsNotAnObjectIs400) {
  expect_bad_request(fail({msg("user", "a"), "b"}), "messages[1]",
                     "`messages[1]` must be an object, got string.");
}

TEST(ChatMessages, MissingRoleIs400) {
  expect_bad_request(fail({{{"content", "x"}}}), "messages[0].role",
                     "`messages[0].role` is required.");
}

TEST(ChatMessages, RoleThatIsNotAStringIs400) {
  expect_bad_request(fail({{{"role", 1}, {"content", "x"}}}), "messages[0].role",
                     "`messages[0].role` must be a string, got number.");
}

TEST(ChatMessages, ToolTurnKeepsTheCallItAnswers) {
  json tool = msg("tool", "22 C");
  tool["tool_call_id"] = "call_7";
  const ChatMessage m = parse({msg("user", "a"), tool})[1];
  EXPECT_EQ(m.role, "tool");
  EXPECT_EQ(m.content, "22 C");
  EXPECT_EQ(m.tool_call_id, "call_7");
}

TEST(ChatMessages, ToolTurnWithoutContentIs400) {
  expect_bad_request(fail({msg("user", "a"), {{"role", "tool"}, {"tool_call_id", "c"}}}),
                     "messages[1].content", "`messages[1].content` is required.");
}

TEST(ChatMessages, FunctionRoleIs400) {
  EXPECT_EQ(fail({msg("function", "42")}).param, "messages[0].role");
}

TEST(ChatMessages, UnknownRoleIs400) {
  EXPECT_EQ(fail({msg("robot", "x")}).param, "messages[0].role");
}

TEST(ChatMessages, AssistantToolCallsGetTheirArgumentsAsObjects) {
  const json call = {{"id", "c1"},
                     {"type", "function"},
                     {"function", {{"name", "f"}, {"arguments", "{\"city\": \"Paris\"}"}}}};
  const ChatMessage m =
      parse({{{"role", "assistant"}, {"content", nullptr}, {"tool_calls", {call}}}})[0];
  EXPECT_FALSE(m.has_content);
  ASSERT_EQ(m.tool_calls.size(), 1u);
  EXPECT_EQ(m.tool_calls[0]["id"], "c1");
  EXPECT_EQ(m.tool_calls[0]["function"]["name"], "f");
  EXPECT_EQ(m.tool_calls[0]["function"]["arguments"], (json{{"city", "Paris"}}));
  // The template sees content null beside the calls, and the calls themselves.
  const nlohmann::ordered_json t = template_messages({m});
  EXPECT_TRUE(t[0]["content"].is_null());
  EXPECT_EQ(t[0]["tool_calls"][0]["function"]["arguments"]["city"], "Paris");
  EXPECT_TRUE(uses_tools({m}));
  EXPECT_FALSE(uses_tools({ChatMessage{"user", "x"}}));
}

TEST(ChatMessages, MalformedToolCallsAre400) {
  const json bad_args = {{"type", "function"},
                         {"function", {{"name", "f"}, {"arguments", "{not json"}}}};
  expect_bad_request(fail({{{"role", "assistant"}, {"tool_calls", {bad_args}}}}),
                     "messages[0].tool_calls[0].function.arguments",
                     "`messages[0].tool_calls[0].function.arguments` must be a JSON text.");
  EXPECT_EQ(fail({{{"role", "assistant"}, {"tool_calls", {{{"type", "function"}}}}}}).param,
            "messages[0].tool_calls[0]");
  const json call = {{"type", "function"}, {"function", {{"name", "f"}}}};
  EXPECT_EQ(fail({{{"role", "user"}, {"content", "x"}, {"tool_calls", {call}}}}).param,
            "messages[0].tool_calls");
}

TEST(ChatMessages, UserContentMissingIs400) {
  expect_bad_request(fail({{{"role", "user"}}}), "messages[0].content",
                     "`messages[0].content` is required.");
}

TEST(ChatMessages, SystemContentNullIs400) {
  expect_bad_request(fail({msg("system", nullptr)}), "messages[0].content",
                     "`messages[0].content` is required.");
}

TEST(ChatMessages, ContentOfAnotherTypeIs400) {
  expect_bad_request(fail({msg("user", 42)}), "messages[0].content",
                     "`messages[0].content` must be a string or an array of content parts, got "
                     "number.");
}

TEST(ChatMessages, ImagePartIs400NamingThePartType) {
  const json content =
      parts({{{"type", "text"}, {"text", "what is this?"}},
             {{"type", "image_url"}, {"image_url", {{"url", "https://x/y.png"}}}}});
  expect_bad_request(fail({msg("user", content)}), "messages[0].content[1].type",
                     "Content parts of type `image_url` (in `messages[0].content[1].type`) are "
                     "not supported: odma accepts only text parts.");
}

TEST(ChatMessages, AudioPartIs400) {
  const json content = parts({{{"type", "input_audio"}, {"input_audio", {{"data", ""}}}}});
  EXPECT_EQ(fail({msg("user", content)}).param, "messages[0].content[0].type");
}

TEST(ChatMessages, RefusalPartIs400) {
  const json content = parts({{{"type", "refusal"}, {"refusal", "no"}}});
  EXPECT_EQ(fail({msg("user", "a"), msg("assistant", content)}).param,
            "messages[1].content[0].type");
}

TEST(ChatMessages, PartWithoutTypeIs400) {
  expect_bad_request(fail({msg("user", parts({{{"text", "a"}}}))}), "messages[0].content[0].type",
                     "`messages[0].content[0].type` is required.");
}

TEST(ChatMessages, PartThatIsNotAnObjectIs400) {
  expect_bad_request(fail({msg("user", parts({"a"}))}), "messages[0].content[0]",
                     "`messages[0].content[0]` must be an object, got string.");
}

TEST(ChatMessages, TextPartWithoutTextIs400) {
  expect_bad_request(fail({msg("user", parts({{{"type", "text"}}}))}),
                     "messages[0].content[0].text", "`messages[0].content[0].text` is required.");
}

TEST(ChatMessages, TextPartWithNonStringTextIs400) {
  expect_bad_request(fail({msg("user", parts({{{"type", "text"}, {"text", 5}}}))}),
                     "messages[0].content[0].text",
                     "`messages[0].content[0].text` must be a string, got number.");
}

TEST(ChatMessages, IllFormedUtf8ContentIs400) {
  expect_bad_request(fail({msg("user", std::string("a\xFF"))}), "messages[0].content",
                     "`messages[0].content` is not valid UTF-8.");
}

TEST(ChatMessages, IllFormedUtf8InATextPartIs400) {
  expect_bad_request(
      fail({msg("user", parts({{{"type", "text"}, {"text", std::string("\xED\xA0\x80")}}}))}),
      "messages[0].content[0].text", "`messages[0].content[0].text` is not valid UTF-8.");
}

}  // namespace
}  // namespace odma::server
