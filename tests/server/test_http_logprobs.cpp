// Log-probabilities through the server, in OpenAI's shapes: chat's logprobs.content[] with
// top_logprobs and bytes, completions' tokens / token_logprobs / top_logprobs / text_offset, and
// streamed chunks whose log-probabilities add up to the whole response's.
#include <gtest/gtest.h>

#include <string>

#include "server/http_test_util.h"

namespace odma::server::testing {
namespace {

class LogprobsHttp : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess({"--model", model_path("stories260K-hf"), "--kv-memory", "64MiB",
                                 "--chat-template", chat_template_path("llama2_chat")});
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static ServerProcess* server_;
};
ServerProcess* LogprobsHttp::server_ = nullptr;

nlohmann::json chat_body() {
  return {{"messages", {{{"role", "user"}, {"content", "Tell me a story."}}}},
          {"max_tokens", 10},
          {"ignore_eos", true},
          {"temperature", 0},
          {"logprobs", true},
          {"top_logprobs", 2}};
}

TEST_F(LogprobsHttp, CompletionsGiveTokensLogprobsAlternativesAndOffsets) {
  ASSERT_TRUE(server_->ok()) << server_->log();
  auto c = server_->client();
  const Reply r = post(c, "/v1/completions",
                       {{"prompt", "Once upon a time"},
                        {"max_tokens", 10},
                        {"ignore_eos", true},
                        {"temperature", 0},
                        {"logprobs", 2}});
  ASSERT_EQ(r.status, 200) << r.raw;
  const nlohmann::json& lp = r.body["choices"][0]["logprobs"];
  ASSERT_EQ(lp["tokens"].size(), 10u) << lp;
  std::string joined;
  for (std::size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(lp["text_offset"][i], joined.size()) << i;
    const std::string token = lp["tokens"][i];
    joined += token;
    const double logprob = lp["token_logprobs"][i];
    EXPECT_LE(logprob, 0.0);
    const nlohmann::json& top = lp["top_logprobs"][i];
    ASSERT_EQ(top.size(), 2u) << top;
    // Greedy: the sampled token is the most likely alternative.
    for (const auto& [text, value] : top.items()) EXPECT_LE(value.get<double>(), logprob + 1e-6);
    EXPECT_EQ(top.at(token), logprob);
  }
  EXPECT_EQ(joined, r.body["choices"][0]["text"]);
}

TEST_F(LogprobsHttp, ChatContentCarriesTopLogprobsAndBytes) {
  ASSERT_TRUE(server_->ok()) << server_->log();
  auto c = server_->client();
  const Reply r = post(c, "/v1/chat/completions", chat_body());
  ASSERT_EQ(r.status, 200) << r.raw;
  const nlohmann::json& content = r.body["choices"][0]["logprobs"]["content"];
  ASSERT_EQ(content.size(), 10u);
  std::string text;
  for (const nlohmann::json& item : content) {
    ASSERT_EQ(item["top_logprobs"].size(), 2u);
    EXPECT_EQ(item["top_logprobs"][0]["token"], item["token"]);  // greedy
    EXPECT_EQ(item["top_logprobs"][0]["logprob"], item["logprob"]);
    EXPECT_GE(item["logprob"].get<double>(), item["top_logprobs"][1]["logprob"].get<double>());
    std::string bytes;
    for (const auto& b : item["bytes"]) bytes += static_cast<char>(b.get<int>());
    EXPECT_EQ(bytes, item["token"]);  // stories260K's tokens are ASCII
    text += bytes;
  }
  // The content is the tokens' text, less the leading space the decoder strips from an output.
  const std::string message = r.body["choices"][0]["message"]["content"];
  EXPECT_NE(text.find(message), std::string::npos) << text << " / " << message;
  // Without logprobs: null, as before.
  nlohmann::json plain = chat_body();
  plain.erase("logprobs");
  plain.erase("top_logprobs");
  EXPECT_TRUE(post(c, "/v1/chat/completions", plain).body["choices"][0]["logprobs"].is_null());
}

TEST_F(LogprobsHttp, StreamedChunksAddUpToTheWholeResponse) {
  ASSERT_TRUE(server_->ok()) << server_->log();
  auto c = server_->client();
  const Reply whole = post(c, "/v1/chat/completions", chat_body());
  ASSERT_EQ(whole.status, 200) << whole.raw;
  const Stream st = stream(c, "/v1/chat/completions", chat_body());
  ASSERT_TRUE(st.done);
  nlohmann::json streamed = nlohmann::json::array();
  for (const nlohmann::json& e : st.events) {
    for (const nlohmann::json& ch : e["choices"]) {
      if (ch["logprobs"].is_null()) continue;
      for (const nlohmann::json& item : ch["logprobs"]["content"]) streamed.push_back(item);
    }
  }
  // Same tokens and alternatives; the values agree to float rounding (the second request reads its
  // prompt from the prefix cache, so its first logits come from a shorter prefill: another
  // summation order).
  const nlohmann::json& want = whole.body["choices"][0]["logprobs"]["content"];
  ASSERT_EQ(streamed.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(streamed[i]["token"], want[i]["token"]) << i;
    EXPECT_EQ(streamed[i]["bytes"], want[i]["bytes"]) << i;
    EXPECT_NEAR(streamed[i]["logprob"].get<double>(), want[i]["logprob"].get<double>(), 1e-4) << i;
    ASSERT_EQ(streamed[i]["top_logprobs"].size(), want[i]["top_logprobs"].size()) << i;
    for (std::size_t k = 0; k < want[i]["top_logprobs"].size(); ++k) {
      EXPECT_EQ(streamed[i]["top_logprobs"][k]["token"], want[i]["top_logprobs"][k]["token"]);
      EXPECT_NEAR(streamed[i]["top_logprobs"][k]["logprob"].get<double>(),
                  want[i]["top_logprobs"][k]["logprob"].get<double>(), 1e-4);
    }
  }
}

TEST_F(LogprobsHttp, EchoScoresThePromptAsLmEvaluationHarnessAsksIt) {
  ASSERT_TRUE(server_->ok()) << server_->log();
  auto c = server_->client();
  // lm-evaluation-harness's loglikelihood request: the whole text echoed and scored, nothing
  // generated.
  const Reply r = post(c, "/v1/completions",
                       {{"prompt", "Once upon a time, there was a"},
                        {"max_tokens", 0},
                        {"temperature", 0},
                        {"logprobs", 1},
                        {"echo", true}});
  ASSERT_EQ(r.status, 200) << r.raw;
  const nlohmann::json& choice = r.body["choices"][0];
  EXPECT_EQ(choice["text"], "Once upon a time, there was a");
  EXPECT_EQ(r.body["usage"]["completion_tokens"], 0);
  const nlohmann::json& lp = choice["logprobs"];
  const int prompt_tokens = r.body["usage"]["prompt_tokens"];
  ASSERT_EQ(lp["tokens"].size(), static_cast<std::size_t>(prompt_tokens));
  EXPECT_TRUE(lp["token_logprobs"][0].is_null());
  EXPECT_TRUE(lp["top_logprobs"][0].is_null());
  for (int i = 1; i < prompt_tokens; ++i) {
    EXPECT_LE(lp["token_logprobs"][i].get<double>(), 0.0) << i;
    EXPECT_EQ(lp["top_logprobs"][i].at(lp["tokens"][i].get<std::string>()),
              lp["token_logprobs"][i]);
  }
  // With tokens to generate, they follow the prompt's, and the scores of the prompt stay the same.
  const Reply more = post(c, "/v1/completions",
                          {{"prompt", "Once upon a time, there was a"},
                           {"max_tokens", 3},
                           {"temperature", 0},
                           {"ignore_eos", true},
                           {"logprobs", 1},
                           {"echo", true}});
  ASSERT_EQ(more.status, 200) << more.raw;
  const nlohmann::json& lp2 = more.body["choices"][0]["logprobs"];
  ASSERT_EQ(lp2["tokens"].size(), static_cast<std::size_t>(prompt_tokens + 3));
  for (int i = 1; i < prompt_tokens; ++i) {
    EXPECT_NEAR(lp2["token_logprobs"][i].get<double>(), lp["token_logprobs"][i].get<double>(),
                1e-4);
  }
  const std::string text = more.body["choices"][0]["text"];
  EXPECT_EQ(text.rfind("Once upon a time, there was a", 0), 0u);
}

TEST_F(LogprobsHttp, StreamedEchoOpensWithThePromptAndAddsUpToTheWholeResponse) {
  ASSERT_TRUE(server_->ok()) << server_->log();
  auto c = server_->client();
  for (const int max_tokens : {0, 4}) {
    SCOPED_TRACE(max_tokens);
    const nlohmann::json ask = {{"prompt", "Once upon a time"},
                                {"max_tokens", max_tokens},
                                {"temperature", 0},
                                {"ignore_eos", true},
                                {"logprobs", 1},
                                {"echo", true}};
    const Reply whole = post(c, "/v1/completions", ask);
    ASSERT_EQ(whole.status, 200) << whole.raw;
    const Stream s = stream(c, "/v1/completions", ask);
    ASSERT_EQ(s.status, 200);
    ASSERT_TRUE(s.done);
    EXPECT_EQ(s.text(), whole.body["choices"][0]["text"]);
    ASSERT_FALSE(s.events.empty());
    EXPECT_EQ(s.events[0]["choices"][0]["text"], "Once upon a time");  // the prompt comes first
    // The chunks' log-probabilities, concatenated, are the whole response's.
    nlohmann::json tokens = nlohmann::json::array(), offsets = nlohmann::json::array(),
                   scores = nlohmann::json::array();
    std::string finish;
    for (const nlohmann::json& e : s.events) {
      const nlohmann::json& ch = e["choices"][0];
      if (ch["finish_reason"].is_string()) finish = ch["finish_reason"];
      if (!ch["logprobs"].is_object()) continue;
      for (const auto& t : ch["logprobs"]["tokens"]) tokens.push_back(t);
      for (const auto& o : ch["logprobs"]["text_offset"]) offsets.push_back(o);
      for (const auto& v : ch["logprobs"]["token_logprobs"]) scores.push_back(v);
    }
    const nlohmann::json& want = whole.body["choices"][0]["logprobs"];
    EXPECT_EQ(tokens, want["tokens"]);
    EXPECT_EQ(offsets, want["text_offset"]);
    ASSERT_EQ(scores.size(), want["token_logprobs"].size());
    for (std::size_t i = 0; i < scores.size(); ++i) {
      if (want["token_logprobs"][i].is_null()) {
        EXPECT_TRUE(scores[i].is_null());
      } else {
        EXPECT_NEAR(scores[i].get<double>(), want["token_logprobs"][i].get<double>(), 1e-4);
      }
    }
    EXPECT_EQ(finish, whole.body["choices"][0]["finish_reason"]);
  }
}

TEST_F(LogprobsHttp, VllmPromptLogprobsScoreEveryPromptTokenWithItsRank) {
  ASSERT_TRUE(server_->ok()) << server_->log();
  auto c = server_->client();
  const nlohmann::json ask = {{"prompt", "Once upon a time, there was a"},
                              {"max_tokens", 2},
                              {"temperature", 0},
                              {"prompt_logprobs", 2},
                              {"logprobs", 2},
                              {"echo", true}};
  const Reply r = post(c, "/v1/completions", ask);
  ASSERT_EQ(r.status, 200) << r.raw;
  const nlohmann::json& scores = r.body["choices"][0]["prompt_logprobs"];
  const nlohmann::json& echo = r.body["choices"][0]["logprobs"];
  const int prompt_tokens = r.body["usage"]["prompt_tokens"];
  ASSERT_EQ(scores.size(), static_cast<std::size_t>(prompt_tokens)) << r.raw;
  EXPECT_TRUE(scores[0].is_null());
  for (int i = 1; i < prompt_tokens; ++i) {
    SCOPED_TRACE(i);
    // The prompt token and up to 2 alternatives, keyed by id; the prompt token's logprob is the
    // echo's score of it, its rank 1 exactly when it is the most likely.
    ASSERT_TRUE(scores[i].is_object());
    EXPECT_GE(scores[i].size(), 2u);
    EXPECT_LE(scores[i].size(), 3u);
    int best_rank = 1 << 30;
    double best = -1e30;
    for (const auto& [id, s] : scores[i].items()) {
      EXPECT_LE(s["logprob"].get<double>(), 0.0);
      EXPECT_GE(s["rank"].get<int>(), 1);
      EXPECT_TRUE(s["decoded_token"].is_string());
      if (s["rank"].get<int>() < best_rank) best_rank = s["rank"].get<int>(), best = s["logprob"];
    }
    EXPECT_EQ(best_rank, 1);
    const double scored = echo["token_logprobs"][i].get<double>();
    bool found = false;
    for (const auto& [id, s] : scores[i].items())
      found = found || (s["decoded_token"] == echo["tokens"][i] && s["logprob"] == scored);
    EXPECT_TRUE(found) << scores[i];
    EXPECT_GE(best, scored);
  }
  // Chat puts them beside the choices, as vLLM does.
  const Reply chat = post(c, "/v1/chat/completions",
                          {{"messages", {{{"role", "user"}, {"content", "Hi"}}}},
                           {"max_tokens", 1},
                           {"prompt_logprobs", 0}});
  ASSERT_EQ(chat.status, 200) << chat.raw;
  ASSERT_TRUE(chat.body["prompt_logprobs"].is_array()) << chat.raw;
  EXPECT_EQ(chat.body["prompt_logprobs"].size(),
            chat.body["usage"]["prompt_tokens"].get<std::size_t>());
  EXPECT_EQ(chat.body["prompt_logprobs"][1].size(), 1u);  // 0 alternatives: the token alone
}

}  // namespace
}  // namespace odma::server::testing
