// The official `openai` npm package (tests/node, pinned by package-lock.json and installed by
// scripts/setup.sh) drives `odma serve`: chat and completions, plain and streamed, the usage
// chunk, n = 3 parallel samples, log-probabilities, an error mapped to the SDK's exception, and the
// model list.
#include <gtest/gtest.h>

#include <filesystem>

#include "server/http_test_util.h"

namespace odma::server::testing {
namespace {

TEST(NodeOpenAiClient, ChatAndCompletionsPlainAndStreamed) {
  const std::filesystem::path node_dir = std::filesystem::path(ODMA_SOURCE_DIR) / "tests/node";
  ASSERT_TRUE(std::filesystem::exists(node_dir / "node_modules/openai"))
      << "tests/node/node_modules/openai is missing: run ./scripts/setup.sh";
  ServerProcess s({"--model", model_path("stories260K-hf"), "--kv-memory", "64MiB",
                   "--chat-template", chat_template_path("llama2_chat")});
  ASSERT_TRUE(s.ok()) << s.log();
  int code = 0;
  const std::string out = run_command("node " + (node_dir / "openai_client.mjs").string() + " " +
                                          s.base_url() + " stories260K-hf 2>&1",
                                      code);
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json r = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(r.is_object()) << out;

  EXPECT_EQ(r["chat"]["object"], "chat.completion");
  EXPECT_EQ(r["chat"]["role"], "assistant");
  EXPECT_EQ(r["chat"]["usage"]["completion_tokens"], 24);
  EXPECT_EQ(r["chat"]["usage"]["total_tokens"],
            r["chat"]["usage"]["prompt_tokens"].get<int>() + 24);
  // Greedy: the streamed chat equals the whole one; one id; the role first; usage at the end.
  EXPECT_EQ(r["chat_stream"]["content"], r["chat"]["content"]);
  EXPECT_EQ(r["chat_stream"]["first_role"], "assistant");
  EXPECT_EQ(r["chat_stream"]["finish_reason"], r["chat"]["finish_reason"]);
  // The streamed chat repeats the whole one's prompt, so it reads it from the prefix cache
  // (all of it but the last token); the rest of the usage is the same.
  nlohmann::json streamed = r["chat_stream"]["usage"], whole = r["chat"]["usage"];
  EXPECT_EQ(streamed["prompt_tokens_details"]["cached_tokens"],
            whole["prompt_tokens"].get<int>() - 1);
  streamed.erase("prompt_tokens_details");
  whole.erase("prompt_tokens_details");
  EXPECT_EQ(streamed, whole);
  EXPECT_EQ(r["chat_stream"]["ids"], 1);
  EXPECT_EQ(r["completion"]["object"], "text_completion");
  EXPECT_EQ(r["completion_stream"]["text"], r["completion"]["text"]);
  EXPECT_EQ(r["completion"]["usage"]["completion_tokens"], 16);
  // n = 3: three indexed choices; the stream reassembles per index to the same texts.
  EXPECT_EQ(r["n"]["indexes"], nlohmann::json::array({0, 1, 2}));
  EXPECT_EQ(r["n"]["streamed"], r["n"]["contents"]);
  EXPECT_EQ(r["n"]["usage"]["total_tokens"], r["n"]["usage"]["prompt_tokens"].get<int>() +
                                                 r["n"]["usage"]["completion_tokens"].get<int>());
  EXPECT_EQ(r["logprobs"]["tokens"], 6);
  EXPECT_EQ(r["logprobs"]["alternatives"], nlohmann::json::array({2, 2, 2, 2, 2, 2}));
  EXPECT_EQ(r["logprobs"]["greedy_is_top"], true);
  EXPECT_EQ(r["logprobs"]["all_negative"], true);
  // A 400 becomes the SDK's BadRequestError with OpenAI's code.
  EXPECT_EQ(r["error"]["status"], 400);
  EXPECT_EQ(r["error"]["code"], "context_length_exceeded");
  EXPECT_EQ(r["models"], nlohmann::json::array({"stories260K-hf"}));
  EXPECT_EQ(s.terminate(), 0) << s.log();
}

}  // namespace
}  // namespace odma::server::testing
