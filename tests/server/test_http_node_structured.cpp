// The official `openai` npm client asks `odma serve` for structured outputs over a corpus of real
// API and function-calling schemas (tests/grammar/schemas, sources in its SOURCES.md) and for tool
// calls in each syntax (Hermes from Qwen2.5's template, Llama 3 JSON from Llama 3.1 Instruct's with
// --tool-call-parser, DeepSeek V3's read from its template): required and named calls, streamed and
// not, and the round trip back through the template. Ajv, an independent JSON Schema validator,
// checks every answer (tests/node/structured_client.mjs). On the tiny shape with Qwen2's real
// vocabulary and tokenizer.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "server/http_test_util.h"
#include "server/real_vocab_model.h"
#include "test_scale.h"

namespace odma::server::testing {
namespace {

TEST(NodeOpenAiClient, StructuredOutputsAndToolCallsValidateUnderAjv) {
  const std::filesystem::path node_dir = std::filesystem::path(ODMA_SOURCE_DIR) / "tests/node";
  ASSERT_TRUE(std::filesystem::exists(node_dir / "node_modules/ajv"))
      << "tests/node/node_modules/ajv is missing: run ./scripts/setup.sh";
  const std::filesystem::path dir = write_real_vocab_model("node_structured", 13);
  ServerProcess s({"--model", dir.string(), "--kv-memory", "64MiB", "--chat-template",
                   chat_template_path("qwen2_5")});
  ASSERT_TRUE(s.ok()) << s.log();
  // The same model taught the other tool-call syntaxes by their templates.
  ServerProcess llama({"--model", dir.string(), "--kv-memory", "16MiB", "--chat-template",
                       chat_template_path("llama3_1_instruct"), "--tool-call-parser",
                       "llama3_json"});
  ServerProcess deepseek({"--model", dir.string(), "--kv-memory", "16MiB", "--chat-template",
                          chat_template_path("deepseek_v3")});  // the syntax read from the template
  ASSERT_TRUE(llama.ok()) << llama.log();
  ASSERT_TRUE(deepseek.ok()) << deepseek.log();
  const std::filesystem::path schemas =
      std::filesystem::path(ODMA_SOURCE_DIR) / "tests/grammar/schemas";
  const int seeds = static_cast<int>(odma::testing::scaled(2, 1));
  int code = 0;
  const std::string out = run_command("node " + (node_dir / "structured_client.mjs").string() +
                                          " " + s.base_url() + " " + dir.filename().string() + " " +
                                          schemas.string() + " " + std::to_string(seeds) + " " +
                                          llama.base_url() + " " + deepseek.base_url() + " 2>&1",
                                      code);
  std::filesystem::remove_all(dir);
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json r = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(r.is_object()) << out;

  // The coverage figures docs/server.md quotes.
  std::printf("structured outputs: %d schemas, %d answers, %d ended, %d valid, %zu unsupported\n",
              r["schemas"].get<int>(), r["requests"].get<int>(), r["stopped"].get<int>(),
              r["valid"].get<int>(), r["unsupported"].size());
  EXPECT_GE(r["schemas"].get<int>(), 15) << out;
  EXPECT_EQ(r["refused"], nlohmann::json::array()) << out;  // the whole corpus compiles
  EXPECT_EQ(r["invalid"], nlohmann::json::array()) << out;  // no ended answer fails Ajv
  EXPECT_EQ(r["valid"], r["stopped"]) << out;
  // Bounded schemas end: most answers finish inside 400 tokens.
  EXPECT_GE(r["stopped"].get<int>() * 4, r["requests"].get<int>() * 3) << out;
  for (const auto& [file, result] : r["unsupported"].items()) {
    EXPECT_EQ(result["status"], 400) << file << ": " << result;
    EXPECT_EQ(result["param"], "response_format.json_schema.schema") << file << ": " << result;
    EXPECT_EQ(result["names_path"], true) << file << ": " << result;
  }
  EXPECT_EQ(r["streamed"]["finish"], "stop") << out;
  EXPECT_EQ(r["streamed"]["valid"], true) << out;

  ASSERT_EQ(r["tools"].size(), 3u) << out;  // hermes, llama3_json, deepseek_v3
  for (const nlohmann::json& t : r["tools"]) {
    EXPECT_EQ(t["finish"], "tool_calls") << out;
    EXPECT_TRUE(t["content"].is_null()) << out;
    EXPECT_GE(t["calls"].get<int>(), 1) << out;
    EXPECT_EQ(t["all_valid"], true) << out;
    EXPECT_EQ(t["ids_unique"], true) << out;
    EXPECT_EQ(t["stream_finish"], "tool_calls") << out;
    EXPECT_EQ(t["stream_same"], true) << out;
    EXPECT_EQ(t["named"], nlohmann::json::array({"add"})) << out;
    EXPECT_EQ(t["named_valid"], true) << out;
    EXPECT_GT(t["follow_up_prompt_tokens"].get<int>(), t["first_prompt_tokens"].get<int>()) << out;
  }
  EXPECT_EQ(llama.terminate(), 0) << llama.log();
  EXPECT_EQ(deepseek.terminate(), 0) << deepseek.log();
  EXPECT_EQ(s.terminate(), 0) << s.log();
}

}  // namespace
}  // namespace odma::server::testing
