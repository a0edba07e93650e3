// Prefix caching through the server: usage.prompt_tokens_details.cached_tokens (OpenAI's field),
// vLLM v1's prefix-cache counters and odma's cached-slot gauges in /metrics, POST
// /reset_prefix_cache, and --no-enable-prefix-caching.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "server/http_test_util.h"

namespace odma::server::testing {
namespace {

nlohmann::json chat(const std::string& user) {
  return {{"messages",
           {{{"role", "system"},
             {"content",
              "You are a careful assistant. Answer briefly, and say so when you do "
              "not know. Never invent facts; prefer short sentences."}},
            {{"role", "user"}, {"content", user}}}},
          {"max_tokens", 8},
          {"temperature", 0}};
}

TEST(PrefixCacheHttp, ARepeatedSystemPromptIsReadFromTheCacheAndCounted) {
  ServerProcess s({"--model", model_path("qwen2-tiny"), "--kv-memory", "16MiB", "--chat-template",
                   chat_template_path("qwen2_5")});
  ASSERT_TRUE(s.ok()) << s.log();
  auto c = s.client();
  const Reply first = post(c, "/v1/chat/completions", chat("What is a prime number?"));
  ASSERT_EQ(first.status, 200) << first.raw;
  EXPECT_EQ(first.body["usage"]["prompt_tokens_details"]["cached_tokens"], 0);
  const Reply second = post(c, "/v1/chat/completions", chat("Name a river."));
  ASSERT_EQ(second.status, 200) << second.raw;
  const int cached = second.body["usage"]["prompt_tokens_details"]["cached_tokens"];
  const int prompt = second.body["usage"]["prompt_tokens"];
  EXPECT_GE(cached, 20);  // the system prompt and the template around it
  EXPECT_LT(cached, prompt);
  // /metrics is refreshed after each engine step, which may be a moment after the client has
  // its answer: wait (bounded) until the last step's figures are out.
  Reply m;
  for (int i = 0; i < 100; ++i) {
    m = get(c, "/metrics");
    const double cached_slots = metric(m.raw, "odma:kv_cached_slots");
    if (metric(m.raw, "odma:kv_reserved_slots") == 0 && cached_slots > 0 &&
        metric(m.raw, "odma:kv_cached_idle_slots") == cached_slots)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const int first_prompt = first.body["usage"]["prompt_tokens"];
  EXPECT_EQ(metric(m.raw, "odma:prefix_cache_queries_total"), first_prompt + prompt);
  EXPECT_EQ(metric(m.raw, "odma:prefix_cache_hits_total"), cached);
  EXPECT_GT(metric(m.raw, "odma:kv_cached_slots"), 0);
  EXPECT_EQ(metric(m.raw, "odma:kv_cached_idle_slots"), metric(m.raw, "odma:kv_cached_slots"));

  const Reply reset = post(c, "/reset_prefix_cache", nlohmann::json::object());
  ASSERT_EQ(reset.status, 200) << reset.raw;
  EXPECT_EQ(reset.body["freed_slots"], metric(m.raw, "odma:kv_cached_slots"));
  const Reply third = post(c, "/v1/chat/completions", chat("Name a river."));
  ASSERT_EQ(third.status, 200) << third.raw;
  EXPECT_EQ(third.body["usage"]["prompt_tokens_details"]["cached_tokens"], 0);  // emptied
  EXPECT_EQ(third.body["choices"][0]["message"]["content"],
            second.body["choices"][0]["message"]["content"]);
  EXPECT_EQ(s.terminate(), 0) << s.log();
}

TEST(PrefixCacheHttp, TheSwitchOffCachesNothing) {
  ServerProcess s({"--model", model_path("qwen2-tiny"), "--kv-memory", "16MiB", "--chat-template",
                   chat_template_path("qwen2_5"), "--no-enable-prefix-caching"});
  ASSERT_TRUE(s.ok()) << s.log();
  auto c = s.client();
  for (int i = 0; i < 2; ++i) {
    const Reply r = post(c, "/v1/chat/completions", chat("Name a river."));
    ASSERT_EQ(r.status, 200) << r.raw;
    EXPECT_EQ(r.body["usage"]["prompt_tokens_details"]["cached_tokens"], 0);
  }
  EXPECT_EQ(metric(get(c, "/metrics").raw, "odma:kv_cached_slots"), 0);
  EXPECT_EQ(s.terminate(), 0) << s.log();
}

}  // namespace
}  // namespace odma::server::testing
