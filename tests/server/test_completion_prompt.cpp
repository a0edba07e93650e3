// `prompt` of /v1/completions: one text or one list of token ids; batches are refused.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "server/openai_request.h"
#include "server/request_test_util.h"

namespace odma::server {
namespace {

using testing::completion_body;
using testing::error_of;
using testing::expect_bad_request;
using testing::json;
using testing::value_of;
constexpr auto kCompletion = GenerationRequest::Kind::kCompletion;
using Ids = std::vector<std::int32_t>;

GenerationRequest parse(const json& prompt) {
  return value_of(parse_generation_request(completion_body({{"prompt", prompt}}), kCompletion));
}
ApiError fail(const json& prompt) {
  return error_of(parse_generation_request(completion_body({{"prompt", prompt}}), kCompletion));
}

TEST(CompletionPrompt, AStringIsTheText) {
  const GenerationRequest r = parse("Once upon a time");
  EXPECT_EQ(r.prompt_text, "Once upon a time");
  EXPECT_FALSE(r.prompt_ids.has_value());
  EXPECT_TRUE(r.messages.empty());
}

TEST(CompletionPrompt, AListOfOneStringIsTheText) {
  EXPECT_EQ(parse({"Once"}).prompt_text, "Once");
}

TEST(CompletionPrompt, AListOfIntegersIsTheTokenIds) {
  const GenerationRequest r = parse({1, 15043, 0, 2147483647});
  EXPECT_EQ(r.prompt_ids, (Ids{1, 15043, 0, 2147483647}));
  EXPECT_FALSE(r.prompt_text.has_value());
}

TEST(CompletionPrompt, AListHoldingOneListOfIntegersIsTheTokenIds) {
  EXPECT_EQ(parse(json::parse("[[1, 2, 3]]")).prompt_ids, (Ids{1, 2, 3}));
}

TEST(CompletionPrompt, TokenIdsFromParsedTextAreRead) {
  // Parsed literals are unsigned in nlohmann, values built in code signed: both are ids.
  EXPECT_EQ(parse(json::parse("[5, 6]")).prompt_ids, (Ids{5, 6}));
}

TEST(CompletionPrompt, MissingPromptIs400) {
  expect_bad_request(error_of(parse_generation_request(json::object(), kCompletion)), "prompt",
                     "`prompt` is required.");
}

TEST(CompletionPrompt, NullPromptIs400) {
  expect_bad_request(fail(nullptr), "prompt", "`prompt` is required.");
}

TEST(CompletionPrompt, EmptyStringIs400) {
  expect_bad_request(fail(""), "prompt", "`prompt` must not be empty.");
}

TEST(CompletionPrompt, EmptyListIs400) {
  expect_bad_request(fail(json::array()), "prompt", "`prompt` must not be empty.");
}

TEST(CompletionPrompt, ListOfOneEmptyStringIs400) {
  expect_bad_request(fail({""}), "prompt", "`prompt` must not be empty.");
}

TEST(CompletionPrompt, ListOfOneEmptyListIs400) {
  expect_bad_request(fail(json::parse("[[]]")), "prompt", "`prompt` must not be empty.");
}

TEST(CompletionPrompt, BatchOfStringsIs400) {
  expect_bad_request(fail({"a", "b", "c"}), "prompt",
                     "`prompt` holds 3 prompts; batched prompts are not supported: send one "
                     "prompt per request.");
}

TEST(CompletionPrompt, BatchOfTokenListsIs400) {
  EXPECT_EQ(fail(json::parse("[[1], [2]]")).message,
            "`prompt` holds 2 prompts; batched prompts are not supported: send one prompt per "
            "request.");
}

TEST(CompletionPrompt, NegativeTokenIdIs400) {
  expect_bad_request(fail({1, -5}), "prompt[1]",
                     "`prompt[1]` must be a token id (an integer in [0, 2147483647]), got -5.");
}

TEST(CompletionPrompt, TokenIdAboveInt32Is400) {
  expect_bad_request(
      fail(json::parse("[2147483648]")), "prompt[0]",
      "`prompt[0]` must be a token id (an integer in [0, 2147483647]), got 2147483648.");
}

TEST(CompletionPrompt, FloatTokenIdIs400) {
  expect_bad_request(fail({1, 2.0}), "prompt[1]",
                     "`prompt[1]` must be a token id (an integer in [0, 2147483647]), got 2.0.");
}

TEST(CompletionPrompt, StringAmongTokenIdsIs400) {
  expect_bad_request(fail({1, "a"}), "prompt[1]",
                     "`prompt[1]` must be a token id (an integer in [0, 2147483647]), got \"a\".");
}

TEST(CompletionPrompt, BadIdInANestedListIsNamed) {
  EXPECT_EQ(fail(json::parse("[[1, -1]]")).param, "prompt[0][1]");
}

TEST(CompletionPrompt, NumberIs400) {
  expect_bad_request(fail(5), "prompt",
                     "`prompt` must be a string, an array of token ids, or an array holding one "
                     "of those, got number.");
}

TEST(CompletionPrompt, IllFormedUtf8Is400) {
  expect_bad_request(fail(std::string("\xF5")), "prompt", "`prompt` is not valid UTF-8.");
}

TEST(CompletionPrompt, IllFormedUtf8InAListIs400) {
  expect_bad_request(fail({std::string("\xF5")}), "prompt[0]", "`prompt[0]` is not valid UTF-8.");
}

}  // namespace
}  // namespace odma::server
