// Bad input gets its documented status and an OpenAI error body, and the server keeps serving:
// after every case a good request still succeeds and, once idle, every KV slot is free.
#include <gtest/gtest.h>

#include <cstdio>

#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server/http_test_util.h"

namespace odma::server::testing {
namespace {

class Errors : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess({"--model", model_path("qwen2-tiny"), "--kv-memory", "16MiB",
                                 "--max-body", "64KiB", "--max-model-len", "512", "--chat-template",
                                 chat_template_path("qwen2_5")});
    ASSERT_TRUE(server_->ok()) << server_->log();
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(server_->terminate(), 0) << server_->log();
    delete server_;
  }
  void TearDown() override {
    // Still serving, nothing leaked.
    auto c = server_->client();
    const Reply ok = post(c, "/v1/completions", {{"prompt", {1, 2, 3}}, {"max_tokens", 4}});
    EXPECT_EQ(ok.status, 200) << ok.raw;
    EXPECT_EQ(wait_kv_free(c, 2.0), 0);
  }
  static void expect_error(const Reply& r, int status, const std::string& param = "") {
    EXPECT_EQ(r.status, status) << r.raw;
    ASSERT_TRUE(r.body.is_object()) << r.raw;
    ASSERT_TRUE(r.body.contains("error")) << r.raw;
    const nlohmann::json& e = r.body["error"];
    EXPECT_TRUE(e["message"].is_string() && !e["message"].get<std::string>().empty()) << r.raw;
    EXPECT_TRUE(e["type"].is_string()) << r.raw;
    if (!param.empty()) {
      EXPECT_EQ(e["param"], param) << r.raw;
    }
  }
  static ServerProcess* server_;
};
ServerProcess* Errors::server_ = nullptr;

TEST_F(Errors, InvalidJsonIs400) {
  auto c = server_->client();
  expect_error(post(c, "/v1/completions", std::string("{\"prompt\": ")), 400);
  expect_error(post(c, "/v1/chat/completions", std::string("[1, 2]")), 400);
}

TEST_F(Errors, WrongTypesAndRangesNameTheField) {
  auto c = server_->client();
  expect_error(post(c, "/v1/completions", {{"prompt", "hi"}, {"max_tokens", "ten"}}), 400,
               "max_tokens");
  expect_error(post(c, "/v1/completions", {{"prompt", "hi"}, {"temperature", 9}}), 400,
               "temperature");
  expect_error(post(c, "/v1/completions", {{"prompt", "hi"}, {"max_tokens", -5}}), 400,
               "max_tokens");
  expect_error(post(c, "/v1/completions", {{"prompt", "hi"}, {"n", 0}}), 400, "n");
  expect_error(post(c, "/v1/chat/completions",
                    {{"messages", {{{"role", "user"}, {"content", "hi"}}}},
                     {"tools", {{{"type", "function"}, {"function", {{"name", "f g"}}}}}}}),
               400, "tools");  // a name outside OpenAI's ^[a-zA-Z0-9_-]{1,64}$
  expect_error(post(c, "/v1/chat/completions",
                    {{"messages", {{{"role", "user"}, {"content", "hi"}}}}, {"top_logprobs", 3}}),
               400, "top_logprobs");
  // Neutral values that client libraries send by default are fine.
  const Reply neutral = post(c, "/v1/chat/completions",
                             {{"messages", {{{"role", "user"}, {"content", "hi"}}}},
                              {"max_tokens", 3},
                              {"logprobs", false},
                              {"tools", nlohmann::json::array()},
                              {"n", 1},
                              {"response_format", {{"type", "text"}}},
                              {"user", "u1"},
                              {"some_unknown_field", 7}});
  EXPECT_EQ(neutral.status, 200) << neutral.raw;
}

TEST_F(Errors, HugeMaxTokensAndLongPromptsExceedTheContext) {
  auto c = server_->client();
  const Reply r = post(c, "/v1/completions", {{"prompt", {1, 2, 3}}, {"max_tokens", 100000}});
  expect_error(r, 400);
  EXPECT_EQ(r.body["error"]["code"], "context_length_exceeded");
  const std::string msg = r.body["error"]["message"];
  EXPECT_NE(msg.find("512"), std::string::npos) << msg;     // the context
  EXPECT_NE(msg.find("100003"), std::string::npos) << msg;  // what was asked
  std::vector<int> long_prompt(600, 5);
  const Reply p = post(c, "/v1/completions", {{"prompt", long_prompt}, {"max_tokens", 1}});
  expect_error(p, 400);
  EXPECT_EQ(p.body["error"]["code"], "context_length_exceeded");
}

TEST_F(Errors, UnknownModelAndRoute) {
  auto c = server_->client();
  const Reply m = post(c, "/v1/completions", {{"model", "gpt-9"}, {"prompt", "hi"}});
  expect_error(m, 404);
  EXPECT_EQ(m.body["error"]["code"], "model_not_found");
  expect_error(post(c, "/v1/nothing", std::string("{}")), 404);
  expect_error(get(c, "/v2/models"), 404);
}

TEST_F(Errors, InvalidUtf8EmptyMessagesAndBadTokenIds) {
  auto c = server_->client();
  expect_error(post(c, "/v1/completions", std::string("{\"prompt\": \"\xff\xfe\"}")), 400);
  expect_error(post(c, "/v1/chat/completions", {{"messages", nlohmann::json::array()}}), 400,
               "messages");
  expect_error(post(c, "/v1/completions", {{"prompt", {1, 2, 999999}}}), 400);
  expect_error(post(c, "/v1/completions", {{"prompt", {1, -2}}}), 400);
}

TEST_F(Errors, BodyOverTheLimitIs413) {
  auto c = server_->client();
  const std::string big = "{\"prompt\": \"" + std::string(100 * 1024, 'a') + "\"}";
  expect_error(post(c, "/v1/completions", big), 413);
}

// A taken port is an error at start, not a second listener silently sharing it (SO_REUSEPORT).
TEST_F(Errors, ASecondServerOnATakenPortRefusesToStart) {
  const std::string cmd = std::string(ODMA_BINARY) + " serve --model " + model_path("qwen2-tiny") +
                          " --host 127.0.0.1 --port " + std::to_string(server_->port()) + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  const int rc = pclose(p);
  EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) != 0) << out;
  EXPECT_NE(out.find("cannot listen on 127.0.0.1:" + std::to_string(server_->port())),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace odma::server::testing
