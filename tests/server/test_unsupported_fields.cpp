// Features odma does not have: each is a clear 400 naming the field, while the neutral value
// client libraries send by default is accepted.
#include <gtest/gtest.h>

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

bool chat_accepts(const json& extra) {
  return std::holds_alternative<GenerationRequest>(
      parse_generation_request(chat_body(extra), kChat));
}
bool completion_accepts(const json& extra) {
  return std::holds_alternative<GenerationRequest>(
      parse_generation_request(completion_body(extra), kCompletion));
}
ApiError chat_error(const json& extra) {
  return error_of(parse_generation_request(chat_body(extra), kChat));
}
ApiError completion_error(const json& extra) {
  return error_of(parse_generation_request(completion_body(extra), kCompletion));
}

TEST(UnsupportedFields, NeutralValuesThatClientsSendAreAccepted) {
  EXPECT_TRUE(chat_accepts({{"n", 1},
                            {"logprobs", false},
                            {"top_logprobs", 0},
                            {"logit_bias", json::object()},
                            {"response_format", {{"type", "text"}}},
                            {"tools", json::array()},
                            {"tool_choice", "none"},
                            {"parallel_tool_calls", true},
                            {"stream_options", nullptr}}));
}

TEST(UnsupportedFields, NullIsNeutralForEachOfThem) {
  EXPECT_TRUE(chat_accepts({{"n", nullptr},
                            {"logprobs", nullptr},
                            {"top_logprobs", nullptr},
                            {"logit_bias", nullptr},
                            {"response_format", nullptr},
                            {"tools", nullptr},
                            {"tool_choice", nullptr}}));
}

TEST(UnsupportedFields, NOfZeroOrAbove128Is400) {
  expect_bad_request(chat_error({{"n", 0}}), "n", "`n` must be an integer in [1, 128], got 0.");
  EXPECT_EQ(chat_error({{"n", 129}}).param, "n");
  EXPECT_EQ(chat_error({{"n", 2.5}}).param, "n");
}

TEST(UnsupportedFields, NAsStringIs400) {
  expect_bad_request(chat_error({{"n", "1"}}), "n", "`n` must be an integer, got string.");
}

GenerationRequest chat_request(const json& extra) {
  return std::get<GenerationRequest>(parse_generation_request(chat_body(extra), kChat));
}
GenerationRequest completion_request(const json& extra) {
  return std::get<GenerationRequest>(parse_generation_request(completion_body(extra), kCompletion));
}

TEST(Logprobs, ChatAsksWithLogprobsTrueAndTopLogprobs) {
  EXPECT_FALSE(chat_request(json::object()).logprobs.has_value());
  EXPECT_FALSE(chat_request({{"logprobs", false}}).logprobs.has_value());
  EXPECT_EQ(chat_request({{"logprobs", true}}).logprobs, 0);
  EXPECT_EQ(chat_request({{"logprobs", true}, {"top_logprobs", 5}}).logprobs, 5);
  EXPECT_EQ(chat_request({{"logprobs", true}, {"top_logprobs", 20}}).logprobs, 20);
}

TEST(Logprobs, TopLogprobsWithoutLogprobsIs400) {
  expect_bad_request(chat_error({{"top_logprobs", 5}}), "top_logprobs",
                     "`top_logprobs` needs `logprobs` set to true.");
  EXPECT_TRUE(chat_accepts({{"top_logprobs", 0}}));  // the neutral value clients send
}

TEST(Logprobs, ChatLogprobsAsNumberIs400) {
  expect_bad_request(chat_error({{"logprobs", 1}}), "logprobs",
                     "`logprobs` must be a boolean, got number.");
}

TEST(Logprobs, TopLogprobsOutOfRangeIs400) {
  expect_bad_request(chat_error({{"logprobs", true}, {"top_logprobs", 21}}), "top_logprobs",
                     "`top_logprobs` must be an integer in [0, 20], got 21.");
}

TEST(Logprobs, CompletionsAskWithACount) {
  EXPECT_FALSE(completion_request({{"logprobs", nullptr}}).logprobs.has_value());
  EXPECT_FALSE(completion_request({{"logprobs", false}}).logprobs.has_value());
  EXPECT_EQ(completion_request({{"logprobs", 0}}).logprobs, 0);
  EXPECT_EQ(completion_request({{"logprobs", 5}}).logprobs, 5);
  EXPECT_EQ(completion_error({{"logprobs", 21}}).param, "logprobs");
  EXPECT_EQ(completion_error({{"logprobs", true}}).param, "logprobs");
}

TEST(Logprobs, PromptLogprobsAreReadAndRefusedWithStream) {
  EXPECT_EQ(completion_request({{"prompt_logprobs", 3}}).prompt_logprobs, 3);
  EXPECT_FALSE(completion_request({{"prompt_logprobs", nullptr}}).prompt_logprobs.has_value());
  EXPECT_EQ(completion_error({{"prompt_logprobs", 21}}).param, "prompt_logprobs");
  expect_bad_request(completion_error({{"prompt_logprobs", 1}, {"stream", true}}),
                     "prompt_logprobs",
                     "`prompt_logprobs` with `stream` is not supported by odma.");
}

TEST(Logprobs, CompletionLogprobsAsStringIs400) {
  expect_bad_request(completion_error({{"logprobs", "5"}}), "logprobs",
                     "`logprobs` must be an integer, got string.");
}

TEST(UnsupportedFields, NonEmptyLogitBiasIs400) {
  expect_bad_request(chat_error({{"logit_bias", {{"50256", -100}}}}), "logit_bias",
                     "`logit_bias` is not supported by odma.");
}

TEST(UnsupportedFields, LogitBiasThatIsNotAnObjectIs400) {
  expect_bad_request(chat_error({{"logit_bias", json::array()}}), "logit_bias",
                     "`logit_bias` must be an object, got array.");
}

TEST(UnsupportedFields, BestOfOneIsAccepted) {
  EXPECT_TRUE(completion_accepts({{"best_of", 1}}));
}

TEST(UnsupportedFields, BestOfAboveOneIs400) {
  expect_bad_request(
      completion_error({{"best_of", 3}}), "best_of",
      "`best_of` must be 1, got 3: odma does not sample candidates to pick the best of.");
}

TEST(UnsupportedFields, EchoFalseIsAccepted) {
  EXPECT_TRUE(completion_accepts({{"echo", false}}));
}

TEST(UnsupportedFields, EchoTrueIsReadAndAllowsMaxTokensZero) {
  EXPECT_TRUE(completion_request({{"echo", true}}).echo);
  EXPECT_EQ(completion_request({{"echo", true}, {"max_tokens", 0}}).max_tokens, 0);
  EXPECT_EQ(completion_error({{"max_tokens", 0}}).param, "max_tokens");  // 0 only with echo
  EXPECT_TRUE(completion_request({{"echo", true}, {"stream", true}}).stream);
}

TEST(UnsupportedFields, EmptySuffixIsAccepted) {
  EXPECT_TRUE(completion_accepts({{"suffix", nullptr}}));
  EXPECT_TRUE(completion_accepts({{"suffix", ""}}));
}

TEST(UnsupportedFields, SuffixIs400) {
  expect_bad_request(completion_error({{"suffix", "}"}}), "suffix",
                     "`suffix` is not supported by odma.");
}

TEST(UnsupportedFields, ChatOnlyFieldsAreUnknownToCompletions) {
  // tools / tool_choice are not /v1/completions fields: ignored there like any unknown field.
  EXPECT_TRUE(
      completion_accepts({{"tools", {{{"type", "function"}}}}, {"tool_choice", "required"}}));
}

TEST(UnsupportedFields, CompletionOnlyFieldsAreUnknownToChat) {
  // echo / suffix / best_of mean nothing to OpenAI's chat API (vLLM's chat `echo` is unrelated).
  EXPECT_TRUE(chat_accepts({{"echo", true}, {"suffix", "x"}, {"best_of", 4}}));
}

}  // namespace
}  // namespace odma::server
