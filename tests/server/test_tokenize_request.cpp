// vLLM's /tokenize (a prompt or chat messages) and /detokenize (token ids) bodies.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "server/request_test_util.h"
#include "server/tokenize_request.h"

namespace odma::server {
namespace {

using testing::error_of;
using testing::expect_bad_request;
using testing::json;
using testing::value_of;

const json kUserHi = json::array({{{"role", "user"}, {"content", "hi"}}});

TEST(TokenizeRequest, PromptFormAddsSpecialTokensByDefault) {
  const TokenizeRequest r =
      value_of(parse_tokenize_request(json{{"model", "m"}, {"prompt", "hi"}}));
  EXPECT_EQ(r.model, "m");
  EXPECT_EQ(r.prompt, "hi");
  EXPECT_TRUE(r.messages.empty());
  EXPECT_TRUE(r.add_special_tokens);
}

TEST(TokenizeRequest, ChatFormAddsTheGenerationPromptButNoSpecialTokensByDefault) {
  const TokenizeRequest r = value_of(parse_tokenize_request(json{{"messages", kUserHi}}));
  EXPECT_FALSE(r.prompt.has_value());
  EXPECT_EQ(r.messages, (std::vector<ChatMessage>{{"user", "hi"}}));
  EXPECT_TRUE(r.add_generation_prompt);
  EXPECT_FALSE(r.add_special_tokens);
}

TEST(TokenizeRequest, FlagsAreRead) {
  const TokenizeRequest r = value_of(parse_tokenize_request(
      json{{"messages", kUserHi}, {"add_generation_prompt", false}, {"add_special_tokens", true}}));
  EXPECT_FALSE(r.add_generation_prompt);
  EXPECT_TRUE(r.add_special_tokens);
}

TEST(TokenizeRequest, EmptyPromptIsAccepted) {
  EXPECT_EQ(value_of(parse_tokenize_request(json{{"prompt", ""}})).prompt, "");
}

TEST(TokenizeRequest, BothPromptAndMessagesIs400) {
  expect_bad_request(error_of(parse_tokenize_request(json{{"prompt", "a"}, {"messages", kUserHi}})),
                     "messages", "Give exactly one of `prompt` and `messages`.");
}

TEST(TokenizeRequest, NeitherPromptNorMessagesIs400) {
  expect_bad_request(error_of(parse_tokenize_request(json{{"model", "m"}})), "prompt",
                     "Give exactly one of `prompt` and `messages`.");
}

TEST(TokenizeRequest, PromptThatIsNotAStringIs400) {
  expect_bad_request(error_of(parse_tokenize_request(json{{"prompt", {1, 2}}})), "prompt",
                     "`prompt` must be a string, got array.");
}

TEST(TokenizeRequest, MessagesAreCheckedLikeChatMessages) {
  EXPECT_EQ(
      error_of(parse_tokenize_request(json{{"messages", {{{"role", "robot"}, {"content", "x"}}}}}))
          .param,
      "messages[0].role");
}

TEST(TokenizeRequest, FlagThatIsNotABooleanIs400) {
  expect_bad_request(
      error_of(parse_tokenize_request(json{{"prompt", "a"}, {"add_special_tokens", "no"}})),
      "add_special_tokens", "`add_special_tokens` must be a boolean, got string.");
}

TEST(DetokenizeRequest, TokensAreRead) {
  const DetokenizeRequest r =
      value_of(parse_detokenize_request(json{{"model", "m"}, {"tokens", {1, 2, 3}}}));
  EXPECT_EQ(r.model, "m");
  EXPECT_EQ(r.tokens, (std::vector<std::int32_t>{1, 2, 3}));
}

TEST(DetokenizeRequest, EmptyTokensAreAccepted) {
  EXPECT_TRUE(value_of(parse_detokenize_request(json{{"tokens", json::array()}})).tokens.empty());
}

TEST(DetokenizeRequest, MissingTokensIs400) {
  expect_bad_request(error_of(parse_detokenize_request(json::object())), "tokens",
                     "`tokens` is required.");
}

TEST(DetokenizeRequest, TokensThatAreNotAnArrayIs400) {
  expect_bad_request(error_of(parse_detokenize_request(json{{"tokens", "1 2"}})), "tokens",
                     "`tokens` must be an array of token ids, got string.");
}

TEST(DetokenizeRequest, NegativeTokenIs400) {
  expect_bad_request(error_of(parse_detokenize_request(json{{"tokens", {3, -1}}})), "tokens[1]",
                     "`tokens[1]` must be a token id (an integer in [0, 2147483647]), got -1.");
}

}  // namespace
}  // namespace odma::server
