// Stream chunks: each compared whole, then a whole stream as the exact bytes sent.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "base/error.h"
#include "server/openai_stream.h"
#include "server/sse.h"

namespace odma::server {
namespace {

using nlohmann::json;
constexpr auto kChat = GenerationRequest::Kind::kChat;
constexpr auto kCompletion = GenerationRequest::Kind::kCompletion;

const ResponseHeader kHeader{"chatcmpl-7", 1700000000, "llama"};

// `choices` as a list: a braced json argument ({choice}) is an array under GCC but a copy of the
// one element under clang, so the expected chunks would differ by compiler.
json chunk(const char* object, std::initializer_list<json> choices) {
  json list = json::array();
  for (const json& c : choices) list.push_back(c);
  return {{"id", "chatcmpl-7"},
          {"object", object},
          {"created", 1700000000},
          {"model", "llama"},
          {"choices", std::move(list)}};
}

json chat_choice(json delta, json finish) {
  return {
      {"index", 0}, {"delta", std::move(delta)}, {"logprobs", nullptr}, {"finish_reason", finish}};
}

json text_choice(const char* text, json finish) {
  return {{"index", 0}, {"text", text}, {"logprobs", nullptr}, {"finish_reason", finish}};
}

TEST(OpenAiStream, ChatOpensWithTheRoleAndEmptyContent) {
  const StreamChunks s(kChat, kHeader, false);
  ASSERT_TRUE(s.has_role_chunk());
  EXPECT_EQ(s.role_chunk(),
            chunk("chat.completion.chunk",
                  {chat_choice({{"role", "assistant"}, {"content", ""}}, nullptr)}));
}

TEST(OpenAiStream, ChatTextChunkCarriesTheDelta) {
  EXPECT_EQ(StreamChunks(kChat, kHeader, false).text_chunk("Hel"),
            chunk("chat.completion.chunk", {chat_choice({{"content", "Hel"}}, nullptr)}));
}

TEST(OpenAiStream, ChatFinishWithNothingLeftHasAnEmptyDelta) {
  EXPECT_EQ(StreamChunks(kChat, kHeader, false).finish_chunk("", FinishReason::kStop),
            chunk("chat.completion.chunk", {chat_choice(json::object(), "stop")}));
}

TEST(OpenAiStream, ChatFinishCarriesTheTextLeft) {
  EXPECT_EQ(StreamChunks(kChat, kHeader, false).finish_chunk("<", FinishReason::kLength),
            chunk("chat.completion.chunk", {chat_choice({{"content", "<"}}, "length")}));
}

TEST(OpenAiStream, CompletionTextChunkShape) {
  EXPECT_EQ(StreamChunks(kCompletion, kHeader, false).text_chunk(" the"),
            chunk("text_completion", {text_choice(" the", nullptr)}));
}

TEST(OpenAiStream, CompletionFinishChunkMayHaveEmptyText) {
  EXPECT_EQ(StreamChunks(kCompletion, kHeader, false).finish_chunk("", FinishReason::kLength),
            chunk("text_completion", {text_choice("", "length")}));
}

TEST(OpenAiStream, CompletionHasNoRoleChunk) {
  const StreamChunks s(kCompletion, kHeader, false);
  EXPECT_FALSE(s.has_role_chunk());
  EXPECT_THROW((void)s.role_chunk(), Error);
}

TEST(OpenAiStream, IncludeUsageAddsUsageNullToTheOtherChunks) {
  const StreamChunks s(kChat, kHeader, true);
  json expected = chunk("chat.completion.chunk", {chat_choice({{"content", "a"}}, nullptr)});
  expected["usage"] = nullptr;
  EXPECT_EQ(s.text_chunk("a"), expected);
  EXPECT_TRUE(s.role_chunk().at("usage").is_null());
  EXPECT_TRUE(s.finish_chunk("", FinishReason::kStop).at("usage").is_null());
}

TEST(OpenAiStream, WithoutIncludeUsageChunksHaveNoUsageKey) {
  EXPECT_FALSE(StreamChunks(kChat, kHeader, false).text_chunk("a").contains("usage"));
}

TEST(OpenAiStream, ChatUsageChunkHasNoChoices) {
  json expected = chunk("chat.completion.chunk", {});
  expected["usage"] = {{"prompt_tokens", 4},
                       {"completion_tokens", 2},
                       {"total_tokens", 6},
                       {"prompt_tokens_details", {{"cached_tokens", 0}}}};
  EXPECT_EQ(StreamChunks(kChat, kHeader, true).usage_chunk(Usage{4, 2}), expected);
}

TEST(OpenAiStream, CompletionUsageChunkHasNoChoices) {
  json expected = chunk("text_completion", {});
  expected["usage"] = {{"prompt_tokens", 1},
                       {"completion_tokens", 1},
                       {"total_tokens", 2},
                       {"prompt_tokens_details", {{"cached_tokens", 0}}}};
  EXPECT_EQ(StreamChunks(kCompletion, kHeader, true).usage_chunk(Usage{1, 1}), expected);
}

TEST(OpenAiStream, UsageChunkWithoutIncludeUsageIsAnError) {
  EXPECT_THROW((void)StreamChunks(kChat, kHeader, false).usage_chunk(Usage{}), Error);
}

TEST(OpenAiStream, WholeChatStreamIsTheseBytes) {
  // What `odma serve` sends for "Hello" in two deltas with include_usage (keys sorted).
  const StreamChunks s(kChat, kHeader, true);
  const std::string sent = sse::data_event(s.role_chunk()) + sse::data_event(s.text_chunk("Hel")) +
                           sse::data_event(s.finish_chunk("lo", FinishReason::kStop)) +
                           sse::data_event(s.usage_chunk(Usage{3, 2})) +
                           std::string(sse::kDoneEvent);
  const std::string head = R"("created":1700000000,"id":"chatcmpl-7","model":"llama",)"
                           R"("object":"chat.completion.chunk",)";
  const std::string expected =
      R"(data: {"choices":[{"delta":{"content":"","role":"assistant"},"finish_reason":null,)"
      R"("index":0,"logprobs":null}],)" +
      head +
      R"("usage":null})"
      "\n\n"
      R"(data: {"choices":[{"delta":{"content":"Hel"},"finish_reason":null,"index":0,)"
      R"("logprobs":null}],)" +
      head +
      R"("usage":null})"
      "\n\n"
      R"(data: {"choices":[{"delta":{"content":"lo"},"finish_reason":"stop","index":0,)"
      R"("logprobs":null}],)" +
      head +
      R"("usage":null})"
      "\n\n"
      R"(data: {"choices":[],)" +
      head +
      R"("usage":{"completion_tokens":2,"prompt_tokens":3,"prompt_tokens_details":)"
      R"({"cached_tokens":0},"total_tokens":5}})"
      "\n\n"
      "data: [DONE]\n\n";
  EXPECT_EQ(sent, expected);
}

TEST(OpenAiStream, ErrorMidStreamIsAnErrorEventThenDone) {
  EXPECT_EQ(stream_error_events(internal_error("engine failed")),
            R"(data: {"error":{"code":null,"message":"engine failed","param":null,)"
            R"("type":"server_error"}})"
            "\n\ndata: [DONE]\n\n");
}

}  // namespace
}  // namespace odma::server
