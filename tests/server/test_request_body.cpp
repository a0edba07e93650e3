// Raw request bodies: what is not a JSON object never reaches the field checks.
#include <gtest/gtest.h>

#include <string>

#include "server/openai_request.h"
#include "server/request_test_util.h"
#include "server/tokenize_request.h"
#include "server/utf8.h"

namespace odma::server {
namespace {

using testing::error_of;
using testing::value_of;
constexpr auto kChat = GenerationRequest::Kind::kChat;

TEST(RequestBody, ValidTextIsParsed) {
  const GenerationRequest r = value_of(parse_generation_request(
      std::string_view(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})"), kChat));
  EXPECT_EQ(r.model, "m");
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].content, "hi");
}

TEST(RequestBody, SyntaxErrorIs400WithTheParsersExplanation) {
  const ApiError e = error_of(parse_generation_request(std::string_view(R"({"model": )"), kChat));
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.param, "");
  EXPECT_EQ(e.message.rfind("The request body is not valid JSON: parse error at line 1, column", 0),
            0u)
      << e.message;
}

TEST(RequestBody, EmptyBodyIs400) {
  const ApiError e = error_of(parse_generation_request(std::string_view(""), kChat));
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.message.rfind("The request body is not valid JSON", 0), 0u) << e.message;
}

TEST(RequestBody, IllFormedUtf8Is400AndTheMessageIsValidUtf8) {
  const std::string body = "{\"messages\":[{\"role\":\"user\",\"content\":\"a\xFF\"}]}";
  const ApiError e = error_of(parse_generation_request(std::string_view(body), kChat));
  EXPECT_EQ(e.status, 400);
  EXPECT_NE(e.message.find("ill-formed UTF-8"), std::string::npos) << e.message;
  EXPECT_TRUE(is_valid_utf8(e.message));
}

TEST(RequestBody, OverlongUtf8Is400) {
  const std::string body = "{\"prompt\":\"\xC0\xAF\"}";
  EXPECT_EQ(error_of(parse_generation_request(std::string_view(body),
                                              GenerationRequest::Kind::kCompletion))
                .status,
            400);
}

TEST(RequestBody, NumberBeyondDoubleIs400) {
  const ApiError e = error_of(parse_generation_request(
      std::string_view(R"({"messages":[{"role":"user","content":"hi"}],"temperature":1e400})"),
      kChat));
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.message, "The request body is not valid JSON: number overflow parsing '1e400'");
}

TEST(RequestBody, LeadingByteOrderMarkIsAccepted) {
  EXPECT_EQ(value_of(parse_generation_request(
                         std::string_view(
                             "\xEF\xBB\xBF{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"),
                         kChat))
                .messages.size(),
            1u);
}

TEST(RequestBody, ArrayBodyIs400) {
  const ApiError e = error_of(parse_generation_request(std::string_view("[1, 2]"), kChat));
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.message, "The request body must be a JSON object, got array.");
}

TEST(RequestBody, DeeplyNestedArraysAreRejectedWithoutExhaustingTheStack) {
  const std::size_t depth = 100000;
  const std::string body = std::string(depth, '[') + std::string(depth, ']');
  EXPECT_EQ(error_of(parse_generation_request(std::string_view(body), kChat)).message,
            "The request body must be a JSON object, got array.");
}

TEST(RequestBody, TrailingGarbageIs400) {
  EXPECT_EQ(error_of(parse_generation_request(std::string_view(R"({"messages":[]} x)"), kChat))
                .message.rfind("The request body is not valid JSON", 0),
            0u);
}

TEST(RequestBody, TokenizeAndDetokenizeTakeTextToo) {
  EXPECT_EQ(value_of(parse_tokenize_request(std::string_view(R"({"prompt":"hi"})"))).prompt, "hi");
  EXPECT_EQ(value_of(parse_detokenize_request(std::string_view(R"({"tokens":[1,2]})"))).tokens,
            (std::vector<std::int32_t>{1, 2}));
  EXPECT_EQ(error_of(parse_tokenize_request(std::string_view("{"))).status, 400);
  EXPECT_EQ(error_of(parse_detokenize_request(std::string_view("3"))).status, 400);
}

}  // namespace
}  // namespace odma::server
