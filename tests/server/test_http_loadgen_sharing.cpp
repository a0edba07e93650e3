// `odma loadgen` traffic that repeats itself, against `odma serve` (the real binaries): a shared
// system prompt in front of every request, and multi-turn conversations that send their history
// back. The prefix-cache hit rate loadgen reads from the responses' usage is high with caching on
// and zero with --no-enable-prefix-caching; every turn completes.
#include <gtest/gtest.h>

#include <filesystem>

#include "base/file_io.h"
#include "server/http_test_util.h"

namespace odma::server::testing {
namespace {

nlohmann::json loadgen(const ServerProcess& s, const std::string& flags, const std::string& json) {
  std::filesystem::remove(json);
  int code = 0;
  const std::string out = run_command(
      std::string(ODMA_BINARY) + " loadgen --base-url " + s.base_url() +
          " --dataset alpaca --output-len 8 --ignore-eos --json " + json + " " + flags + " 2>&1",
      code);
  EXPECT_EQ(code, 0) << out;
  return nlohmann::json::parse(read_file(json), nullptr, false);
}

std::vector<std::string> server_args(bool caching) {
  std::vector<std::string> a = {"--model", model_path("qwen2-tiny"), "--kv-memory",
                                "16MiB",   "--chat-template",        chat_template_path("qwen2_5")};
  if (!caching) a.push_back("--no-enable-prefix-caching");
  return a;
}

TEST(LoadgenSharing, ASharedSystemPromptIsReadFromTheCache) {
  const std::string json = ::testing::TempDir() + "odma_system_prompt.json";
  const std::string flags =
      "--endpoint /v1/chat/completions --system-prompt-tokens 200 --num-prompts 12 "
      "--max-concurrency 1";
  ServerProcess on(server_args(true));
  ASSERT_TRUE(on.ok()) << on.log();
  const nlohmann::json r = loadgen(on, flags, json);
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["failed"], 0) << r["errors"].dump();
  EXPECT_EQ(r["completed"], 12);
  EXPECT_EQ(r["system_prompt_tokens"], 200);
  // 11 of 12 requests find the ~200-token system prompt (and the template around it) cached.
  EXPECT_GT(r["prefix_cache_hit_rate"].get<double>(), 0.5) << r.dump();
  EXPECT_EQ(on.terminate(), 0) << on.log();

  ServerProcess off(server_args(false));
  ASSERT_TRUE(off.ok()) << off.log();
  const nlohmann::json r_off = loadgen(off, flags, json);
  ASSERT_TRUE(r_off.is_object());
  EXPECT_EQ(r_off["prefix_cache_hit_rate"], 0.0);
  EXPECT_EQ(r_off["total_input_tokens"], r["total_input_tokens"]);
  EXPECT_EQ(off.terminate(), 0) << off.log();
}

TEST(LoadgenSharing, MultiTurnConversationsReadTheirHistoryFromTheCache) {
  ServerProcess s(server_args(true));
  ASSERT_TRUE(s.ok()) << s.log();
  const nlohmann::json r = loadgen(s, "--multi-turn --turns 3 --num-prompts 12 --max-concurrency 2",
                                   ::testing::TempDir() + "odma_multi_turn.json");
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["failed"], 0) << r["errors"].dump();
  EXPECT_EQ(r["completed"], 12);
  EXPECT_EQ(r["multi_turn"], 3);
  EXPECT_EQ(r["total_output_tokens"], 12 * 8);
  // Turns 2 and 3 of each conversation re-send the earlier turns and answers: most of their
  // prompt is cached (turn 1 of 4 conversations finds only the chat template's opening).
  EXPECT_GT(r["prefix_cache_hit_rate"].get<double>(), 0.3) << r.dump();
  auto c = s.client();
  EXPECT_EQ(wait_kv_free(c, 5), 0);
  EXPECT_EQ(s.terminate(), 0) << s.log();
}

TEST(LoadgenSharing, MultiTurnRejectsTheCompletionsEndpoint) {
  int code = 0;
  const std::string out = run_command(std::string(ODMA_BINARY) +
                                          " loadgen --base-url http://127.0.0.1:1 --dataset alpaca "
                                          "--multi-turn --endpoint /v1/completions 2>&1",
                                      code);
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("--multi-turn"), std::string::npos) << out;
}

}  // namespace
}  // namespace odma::server::testing
