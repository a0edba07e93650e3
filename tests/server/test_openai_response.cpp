// Non-streamed response bodies, compared whole against OpenAI's (and vLLM's) shapes.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "server/json_text.h"
#include "server/openai_response.h"

namespace odma::server {
namespace {

using nlohmann::json;

const ResponseHeader kHeader{"chatcmpl-0123456789abcdef0123456789abcdef", 1700000000, "llama"};

TEST(OpenAiResponse, ChatCompletionShape) {
  const json expected = {{"id", "chatcmpl-0123456789abcdef0123456789abcdef"},
                         {"object", "chat.completion"},
                         {"created", 1700000000},
                         {"model", "llama"},
                         {"choices",
                          {{{"index", 0},
                            {"message", {{"role", "assistant"}, {"content", "Hello!"}}},
                            {"logprobs", nullptr},
                            {"finish_reason", "stop"}}}},
                         {"usage",
                          {{"prompt_tokens", 9},
                           {"completion_tokens", 3},
                           {"total_tokens", 12},
                           {"prompt_tokens_details", {{"cached_tokens", 8}}}}}};
  EXPECT_EQ(chat_completion(kHeader, {{"Hello!", FinishReason::kStop}}, Usage{9, 3, 8}), expected);
}

TEST(OpenAiResponse, TextCompletionShape) {
  const ResponseHeader h{"cmpl-1", 1700000001, "llama"};
  const json expected = {
      {"id", "cmpl-1"},
      {"object", "text_completion"},
      {"created", 1700000001},
      {"model", "llama"},
      {"choices",
       {{{"index", 0}, {"text", " there"}, {"logprobs", nullptr}, {"finish_reason", "length"}}}},
      {"usage",
       {{"prompt_tokens", 2},
        {"completion_tokens", 16},
        {"total_tokens", 18},
        {"prompt_tokens_details", {{"cached_tokens", 0}}}}}};
  EXPECT_EQ(text_completion(h, {{" there", FinishReason::kLength}}, Usage{2, 16}), expected);
}

TEST(OpenAiResponse, SeveralChoicesAreIndexedInOrderAndShareOneUsage) {
  const json r = text_completion(
      kHeader, {{"a", FinishReason::kStop}, {"bb", FinishReason::kLength}}, Usage{4, 3});
  ASSERT_EQ(r.at("choices").size(), 2u);
  EXPECT_EQ(r["choices"][0].at("index"), 0);
  EXPECT_EQ(r["choices"][0].at("text"), "a");
  EXPECT_EQ(r["choices"][1].at("index"), 1);
  EXPECT_EQ(r["choices"][1].at("text"), "bb");
  EXPECT_EQ(r["choices"][1].at("finish_reason"), "length");
  EXPECT_EQ(r.at("usage").at("total_tokens"), 7);
  const json c = chat_completion(kHeader, {{"x", FinishReason::kStop}, {"y", FinishReason::kStop}},
                                 Usage{4, 2});
  EXPECT_EQ(c["choices"][1].at("message").at("content"), "y");
  EXPECT_EQ(c["choices"][1].at("index"), 1);
}

TEST(OpenAiResponse, FinishReasonsAreOpenAisNames) {
  EXPECT_EQ(to_string(FinishReason::kStop), "stop");
  EXPECT_EQ(to_string(FinishReason::kLength), "length");
}

TEST(OpenAiResponse, UsageTotalIsPromptPlusCompletion) {
  EXPECT_EQ(to_json(Usage{5000000000, 7}),
            (json{{"prompt_tokens", 5000000000},
                  {"completion_tokens", 7},
                  {"total_tokens", 5000000007},
                  {"prompt_tokens_details", {{"cached_tokens", 0}}}}));
}

TEST(OpenAiResponse, ModelListShapeFollowsVllm) {
  const json expected = {{"object", "list"},
                         {"data",
                          {{{"id", "llama"},
                            {"object", "model"},
                            {"created", 1700000000},
                            {"owned_by", "odma"},
                            {"root", "llama"},
                            {"parent", nullptr},
                            {"max_model_len", 4096}}}}};
  EXPECT_EQ(model_list({ModelCard{"llama", 1700000000, 4096}}), expected);
}

TEST(OpenAiResponse, EmptyModelListHasEmptyData) {
  EXPECT_EQ(model_list({}), (json{{"object", "list"}, {"data", json::array()}}));
}

TEST(OpenAiResponse, TokenizeShapeFollowsVllm) {
  EXPECT_EQ(tokenize_response({1, 15043}, 4096),
            (json{{"count", 2}, {"max_model_len", 4096}, {"tokens", {1, 15043}}}));
}

TEST(OpenAiResponse, TokenizeOfNothingHasAnEmptyList) {
  EXPECT_EQ(tokenize_response({}, 8),
            (json{{"count", 0}, {"max_model_len", 8}, {"tokens", json::array()}}));
}

TEST(OpenAiResponse, DetokenizeShapeFollowsVllm) {
  EXPECT_EQ(detokenize_response("Hello"), (json{{"prompt", "Hello"}}));
}

TEST(OpenAiResponse, BodyTextIsCompactWithRawUtf8) {
  EXPECT_EQ(to_json_text(detokenize_response("h\xC3\xA9 \"x\"\n")),
            "{\"prompt\":\"h\xC3\xA9 \\\"x\\\"\\n\"}");
}

TEST(OpenAiResponse, IllFormedUtf8IsReplacedInsteadOfThrowing) {
  EXPECT_EQ(to_json_text(detokenize_response("a\xFF")), "{\"prompt\":\"a\xEF\xBF\xBD\"}");
}

std::int64_t system_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(OpenAiResponse, UnixTimeNowIsSecondsOfTheSystemClock) {
  // (std::time reads a coarser clock that may lag a second behind: not a fair bracket.)
  const std::int64_t before = system_seconds();
  const std::int64_t now = unix_time_now();
  EXPECT_GE(now, before);
  EXPECT_LE(now, system_seconds());
}

}  // namespace
}  // namespace odma::server
