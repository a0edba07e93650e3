// The generation fields shared by chat and completions: defaults, accepted values, and the 400 for
// each wrong type or value (one behaviour per test, the error compared whole).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

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

TEST(SamplingFields, ChatDefaults) {
  const GenerationRequest r = chat(json::object());
  EXPECT_EQ(r.kind, kChat);
  EXPECT_EQ(r.model, "");
  EXPECT_EQ(r.max_tokens, std::nullopt);
  EXPECT_EQ(r.temperature, 1.0f);  // OpenAI's default
  EXPECT_EQ(r.top_p, 1.0f);
  EXPECT_EQ(r.top_k, 0);
  EXPECT_EQ(r.seed, std::nullopt);
  EXPECT_TRUE(r.stop.empty());
  EXPECT_FALSE(r.stream);
  EXPECT_FALSE(r.include_usage);
  EXPECT_EQ(r.presence_penalty, 0.0f);
  EXPECT_EQ(r.frequency_penalty, 0.0f);
  EXPECT_FALSE(r.ignore_eos);
  EXPECT_EQ(r.user, "");
  EXPECT_FALSE(r.echo);
  EXPECT_FALSE(r.prompt_text.has_value());
  EXPECT_FALSE(r.prompt_ids.has_value());
}

TEST(SamplingFields, EveryFieldIsRead) {
  const GenerationRequest r = chat({{"model", "llama"},
                                    {"max_tokens", 64},
                                    {"temperature", 0.7},
                                    {"top_p", 0.9},
                                    {"top_k", 40},
                                    {"seed", 1234},
                                    {"stop", {"\n\n", "END"}},
                                    {"stream", true},
                                    {"stream_options", {{"include_usage", true}}},
                                    {"presence_penalty", 0.5},
                                    {"frequency_penalty", -0.5},
                                    {"ignore_eos", true},
                                    {"user", "u-1"}});
  EXPECT_EQ(r.model, "llama");
  EXPECT_EQ(r.max_tokens, 64);
  EXPECT_FLOAT_EQ(r.temperature, 0.7f);
  EXPECT_FLOAT_EQ(r.top_p, 0.9f);
  EXPECT_EQ(r.top_k, 40);
  EXPECT_EQ(r.seed, 1234u);
  EXPECT_EQ(r.stop, (std::vector<std::string>{"\n\n", "END"}));
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
  EXPECT_FLOAT_EQ(r.presence_penalty, 0.5f);
  EXPECT_FLOAT_EQ(r.frequency_penalty, -0.5f);
  EXPECT_TRUE(r.ignore_eos);
  EXPECT_EQ(r.user, "u-1");
}

TEST(SamplingFields, NullMeansTheDefault) {
  const GenerationRequest r = chat({{"model", nullptr},
                                    {"temperature", nullptr},
                                    {"top_p", nullptr},
                                    {"max_tokens", nullptr},
                                    {"stop", nullptr},
                                    {"seed", nullptr},
                                    {"stream", nullptr}});
  EXPECT_EQ(r.temperature, 1.0f);
  EXPECT_EQ(r.top_p, 1.0f);
  EXPECT_EQ(r.max_tokens, std::nullopt);
  EXPECT_TRUE(r.stop.empty());
  EXPECT_EQ(r.seed, std::nullopt);
  EXPECT_FALSE(r.stream);
}

TEST(SamplingFields, UnknownFieldsAreIgnored) {
  EXPECT_EQ(chat({{"min_tokens", 3}, {"foo", {{"bar", 1}}}, {"repetition_penalty", 1.1}}).top_k, 0);
}

TEST(SamplingFields, ModelThatIsNotAStringIs400) {
  expect_bad_request(chat_error({{"model", 7}}), "model", "`model` must be a string, got number.");
}

TEST(SamplingFields, TemperatureZeroIsAcceptedAsGreedy) {
  EXPECT_EQ(chat({{"temperature", 0}}).temperature, 0.0f);
}

TEST(SamplingFields, TemperatureTwoIsAccepted) {
  EXPECT_EQ(chat({{"temperature", 2}}).temperature, 2.0f);
}

TEST(SamplingFields, TemperatureAboveTwoIs400) {
  expect_bad_request(chat_error({{"temperature", 2.5}}), "temperature",
                     "`temperature` must be in [0, 2], got 2.5.");
}

TEST(SamplingFields, NegativeTemperatureIs400) {
  expect_bad_request(chat_error({{"temperature", -0.1}}), "temperature",
                     "`temperature` must be in [0, 2], got -0.1.");
}

TEST(SamplingFields, TemperatureAsStringIs400) {
  expect_bad_request(chat_error({{"temperature", "0.5"}}), "temperature",
                     "`temperature` must be a number, got string.");
}

TEST(SamplingFields, TopPOfOneIsAccepted) {
  EXPECT_EQ(chat({{"top_p", 1}}).top_p, 1.0f);
}

TEST(SamplingFields, TopPOfZeroIs400) {
  expect_bad_request(chat_error({{"top_p", 0}}), "top_p", "`top_p` must be in (0, 1], got 0.");
}

TEST(SamplingFields, TopPAboveOneIs400) {
  expect_bad_request(chat_error({{"top_p", 1.5}}), "top_p", "`top_p` must be in (0, 1], got 1.5.");
}

TEST(SamplingFields, TopKOfMinusOneMeansOff) {
  EXPECT_EQ(chat({{"top_k", -1}}).top_k, 0);
}

TEST(SamplingFields, TopKBelowMinusOneIs400) {
  expect_bad_request(chat_error({{"top_k", -2}}), "top_k",
                     "`top_k` must be an integer in [-1, 2147483647], got -2.");
}

TEST(SamplingFields, TopKAsFloatIs400) {
  expect_bad_request(chat_error({{"top_k", 40.0}}), "top_k",
                     "`top_k` must be an integer, got number.");
}

TEST(SamplingFields, MaxTokensOfOneIsAccepted) {
  EXPECT_EQ(chat({{"max_tokens", 1}}).max_tokens, 1);
}

TEST(SamplingFields, MaxTokensOfZeroIs400) {
  expect_bad_request(chat_error({{"max_tokens", 0}}), "max_tokens",
                     "`max_tokens` must be an integer in [1, 2147483647], got 0.");
}

TEST(SamplingFields, MaxTokensAboveInt32Is400) {
  expect_bad_request(chat_error({{"max_tokens", 4294967296}}), "max_tokens",
                     "`max_tokens` must be an integer in [1, 2147483647], got 4294967296.");
}

TEST(SamplingFields, MaxTokensAsFloatIs400) {
  expect_bad_request(chat_error({{"max_tokens", 10.5}}), "max_tokens",
                     "`max_tokens` must be an integer, got number.");
}

TEST(SamplingFields, MaxTokensAsStringIs400) {
  expect_bad_request(chat_error({{"max_tokens", "10"}}), "max_tokens",
                     "`max_tokens` must be an integer, got string.");
}

TEST(SamplingFields, MaxCompletionTokensIsReadAsMaxTokens) {
  EXPECT_EQ(chat({{"max_completion_tokens", 32}}).max_tokens, 32);
}

TEST(SamplingFields, EqualMaxTokensAndMaxCompletionTokensAreAccepted) {
  EXPECT_EQ(chat({{"max_tokens", 32}, {"max_completion_tokens", 32}}).max_tokens, 32);
}

TEST(SamplingFields, DifferentMaxTokensAndMaxCompletionTokensIs400) {
  expect_bad_request(chat_error({{"max_tokens", 32}, {"max_completion_tokens", 64}}),
                     "max_completion_tokens",
                     "`max_tokens` (32) and `max_completion_tokens` (64) disagree; give one of "
                     "them.");
}

TEST(SamplingFields, MaxCompletionTokensOfZeroIs400) {
  EXPECT_EQ(chat_error({{"max_completion_tokens", 0}}).param, "max_completion_tokens");
}

TEST(SamplingFields, CompletionMaxTokensDefaultsTo16) {
  EXPECT_EQ(value_of(parse_generation_request(completion_body(), kCompletion)).max_tokens, 16);
}

TEST(SamplingFields, CompletionIgnoresMaxCompletionTokens) {
  // Not a /v1/completions field in OpenAI's API or vLLM's: an unknown field there.
  EXPECT_EQ(value_of(parse_generation_request(completion_body({{"max_completion_tokens", 5}}),
                                              kCompletion))
                .max_tokens,
            16);
}

TEST(SamplingFields, SeedOfZeroIsKept) {
  EXPECT_EQ(chat({{"seed", 0}}).seed, 0u);
}

TEST(SamplingFields, NegativeSeedKeepsItsBits) {
  EXPECT_EQ(chat({{"seed", -1}}).seed, std::numeric_limits<std::uint64_t>::max());
}

TEST(SamplingFields, SeedAboveInt64IsAccepted) {
  EXPECT_EQ(chat(json::parse(R"({"seed": 18446744073709551615})")).seed,
            std::numeric_limits<std::uint64_t>::max());
}

TEST(SamplingFields, SeedAsFloatIs400) {
  expect_bad_request(chat_error({{"seed", 1.5}}), "seed", "`seed` must be an integer, got number.");
}

TEST(SamplingFields, PenaltiesAtTheirBoundsAreAccepted) {
  const GenerationRequest r = chat({{"presence_penalty", -2}, {"frequency_penalty", 2}});
  EXPECT_EQ(r.presence_penalty, -2.0f);
  EXPECT_EQ(r.frequency_penalty, 2.0f);
}

TEST(SamplingFields, PresencePenaltyOutOfRangeIs400) {
  expect_bad_request(chat_error({{"presence_penalty", 2.5}}), "presence_penalty",
                     "`presence_penalty` must be in [-2, 2], got 2.5.");
}

TEST(SamplingFields, FrequencyPenaltyOutOfRangeIs400) {
  expect_bad_request(chat_error({{"frequency_penalty", -3}}), "frequency_penalty",
                     "`frequency_penalty` must be in [-2, 2], got -3.");
}

TEST(SamplingFields, IgnoreEosThatIsNotABooleanIs400) {
  expect_bad_request(chat_error({{"ignore_eos", 1}}), "ignore_eos",
                     "`ignore_eos` must be a boolean, got number.");
}

TEST(SamplingFields, UserThatIsNotAStringIs400) {
  expect_bad_request(chat_error({{"user", 5}}), "user", "`user` must be a string, got number.");
}

TEST(SamplingFields, CompletionReadsTheSameFields) {
  const GenerationRequest r = value_of(parse_generation_request(
      completion_body({{"temperature", 0}, {"top_k", 5}, {"max_tokens", 8}, {"stop", "x"}}),
      kCompletion));
  EXPECT_EQ(r.kind, kCompletion);
  EXPECT_EQ(r.temperature, 0.0f);
  EXPECT_EQ(r.top_k, 5);
  EXPECT_EQ(r.max_tokens, 8);
  EXPECT_EQ(r.stop, std::vector<std::string>{"x"});
}

TEST(SamplingFields, CompletionChecksTheSameFields) {
  expect_bad_request(
      error_of(parse_generation_request(completion_body({{"top_p", 0}}), kCompletion)), "top_p",
      "`top_p` must be in (0, 1], got 0.");
}

TEST(SamplingFields, BodyThatIsNotAnObjectIs400) {
  expect_bad_request(error_of(parse_generation_request(json::array(), kChat)), "",
                     "The request body must be a JSON object, got array.");
}

}  // namespace
}  // namespace odma::server
