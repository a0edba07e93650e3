// Parallel samples through the server (OpenAI's `n`): one choice per sample with its index, the
// usage counts the prompt once and sums the choices, streams interleave the choices' chunks and
// reassemble per index to the whole response's texts; bad `n` is a 400.
#include <gtest/gtest.h>

#include <map>

#include "server/http_test_util.h"

namespace odma::server::testing {
namespace {

nlohmann::json completion(int n, double temperature) {
  return {{"prompt", "Once upon a time, a small robot"},
          {"max_tokens", 12},
          {"ignore_eos", true},
          {"temperature", temperature},
          {"seed", 1234},
          {"n", n}};
}

TEST(SamplesHttp, GreedyChoicesAreEqualAndTheUsageCountsThePromptOnce) {
  ServerProcess s({"--model", model_path("stories260K-hf"), "--kv-memory", "64MiB"});
  ASSERT_TRUE(s.ok()) << s.log();
  auto c = s.client();
  const Reply one = post(c, "/v1/completions", completion(1, 0));
  ASSERT_EQ(one.status, 200) << one.raw;
  ASSERT_EQ(post(c, "/reset_prefix_cache", nlohmann::json::object()).status, 200);
  const Reply four = post(c, "/v1/completions", completion(4, 0));
  ASSERT_EQ(four.status, 200) << four.raw;
  ASSERT_EQ(four.body["choices"].size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(four.body["choices"][i]["index"], i);
    EXPECT_EQ(four.body["choices"][i]["text"], one.body["choices"][0]["text"]) << i;
    EXPECT_EQ(four.body["choices"][i]["finish_reason"], "length");
  }
  const int prompt = one.body["usage"]["prompt_tokens"];
  EXPECT_EQ(four.body["usage"]["prompt_tokens"], prompt);
  EXPECT_EQ(four.body["usage"]["completion_tokens"], 4 * 12);
  EXPECT_EQ(four.body["usage"]["prompt_tokens_details"]["cached_tokens"], 0);  // reset before
  EXPECT_EQ(wait_kv_free(c, 10), 0);
  EXPECT_EQ(s.terminate(), 0) << s.log();
}

TEST(SamplesHttp, StreamedChoicesInterleaveAndReassembleToTheWholeResponse) {
  ServerProcess s({"--model", model_path("stories260K-hf"), "--kv-memory", "64MiB",
                   "--chat-template", chat_template_path("llama2_chat")});
  ASSERT_TRUE(s.ok()) << s.log();
  auto c = s.client();
  nlohmann::json chat = completion(3, 1.0);
  chat.erase("prompt");
  chat["messages"] = {{{"role", "user"}, {"content", "Tell me about a cat."}}};
  const Reply whole = post(c, "/v1/chat/completions", chat);
  ASSERT_EQ(whole.status, 200) << whole.raw;
  ASSERT_EQ(whole.body["choices"].size(), 3u);
  // Seeds seed + i (vLLM's rule): the samples differ from one another.
  EXPECT_NE(whole.body["choices"][0]["message"]["content"],
            whole.body["choices"][1]["message"]["content"]);

  chat["stream_options"] = {{"include_usage", true}};
  const Stream st = stream(c, "/v1/chat/completions", chat);
  ASSERT_EQ(st.status, 200);
  ASSERT_TRUE(st.done);
  std::map<int, std::string> text;
  std::map<int, int> roles, finishes;
  nlohmann::json usage;
  for (const nlohmann::json& e : st.events) {
    if (e.contains("usage") && e["usage"].is_object()) usage = e["usage"];
    for (const nlohmann::json& ch : e["choices"]) {
      const int i = ch["index"];
      const nlohmann::json& d = ch["delta"];
      if (d.contains("role")) ++roles[i];
      if (d.contains("content")) text[i] += d["content"].get<std::string>();
      if (!ch["finish_reason"].is_null()) ++finishes[i];
    }
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(text[i], whole.body["choices"][i]["message"]["content"]) << "choice " << i;
    EXPECT_EQ(roles[i], 1) << i;
    EXPECT_EQ(finishes[i], 1) << i;
  }
  EXPECT_EQ(usage["completion_tokens"], 3 * 12);
  EXPECT_EQ(usage["prompt_tokens"], whole.body["usage"]["prompt_tokens"]);
  EXPECT_EQ(wait_kv_free(c, 10), 0);
  EXPECT_EQ(s.terminate(), 0) << s.log();
}

TEST(SamplesHttp, BadNIs400AndTheServerGoesOn) {
  ServerProcess s({"--model", model_path("stories260K-hf"), "--kv-memory", "64MiB"});
  ASSERT_TRUE(s.ok()) << s.log();
  auto c = s.client();
  for (const nlohmann::json& n : {nlohmann::json(0), nlohmann::json(129), nlohmann::json(-1),
                                  nlohmann::json(1.5), nlohmann::json("2")}) {
    nlohmann::json body = completion(1, 0);
    body["n"] = n;
    const Reply r = post(c, "/v1/completions", body);
    EXPECT_EQ(r.status, 400) << n;
    EXPECT_EQ(r.body["error"]["param"], "n") << r.raw;
  }
  EXPECT_EQ(post(c, "/v1/completions", completion(2, 0)).status, 200);
  EXPECT_EQ(s.terminate(), 0) << s.log();
}

}  // namespace
}  // namespace odma::server::testing
