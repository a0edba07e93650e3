// `odma serve` end to end on the real stories260K model, one behaviour per test: the reference
// ids through the API, streamed == non-streamed == `odma generate`, stop strings that never
// leak, usage, OpenAI's shapes, models, tokenize/detokenize, health and metrics.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/file_io.h"
#include "server/http_test_util.h"
#include "tokenizer/tokenizer.h"

namespace odma::server::testing {
namespace {

class Stories : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess({"--model", model_path("stories260K-hf"), "--kv-memory", "64MiB"});
    ASSERT_TRUE(server_->ok()) << server_->log();
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(server_->terminate(), 0) << server_->log();
    delete server_;
    server_ = nullptr;
  }
  static nlohmann::json reference() {
    return nlohmann::json::parse(read_file(model_path("stories260K-hf") + "/reference.json"));
  }
  static ServerProcess* server_;
};
ServerProcess* Stories::server_ = nullptr;

// The real model's 256 greedy ids after BOS, through /v1/completions with a token-id prompt.
TEST_F(Stories, ReferenceIdsReproducedThroughTheApi) {
  const nlohmann::json ref = reference();
  const auto want = ref["greedy_ids_after_bos"].get<std::vector<std::int32_t>>();
  auto c = server_->client();
  const Reply r = post(c, "/v1/completions",
                       {{"model", "stories260K-hf"},
                        {"prompt", std::vector<std::int32_t>{ref["bos_id"].get<std::int32_t>()}},
                        {"max_tokens", 256},
                        {"temperature", 0}});
  ASSERT_EQ(r.status, 200) << r.raw;
  const auto tok = tokenizer::Tokenizer::load(model_path("stories260K-hf"));
  EXPECT_EQ(r.body["choices"][0]["text"], tok.decode(want, /*skip_special=*/true));
  EXPECT_EQ(r.body["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(r.body["usage"]["prompt_tokens"], 1);
  EXPECT_EQ(r.body["usage"]["completion_tokens"], 256);
  EXPECT_EQ(r.body["usage"]["total_tokens"], 257);
  // /tokenize of that text gives those ids back (a second witness that they are the reference's).
  const Reply t = post(c, "/tokenize",
                       {{"prompt", r.body["choices"][0]["text"]}, {"add_special_tokens", false}});
  ASSERT_EQ(t.status, 200) << t.raw;
  EXPECT_EQ(t.body["tokens"].get<std::vector<std::int32_t>>(), want);
}

TEST_F(Stories, CompletionHasOpenAisShape) {
  auto c = server_->client();
  const Reply r = post(c, "/v1/completions",
                       {{"prompt", "Once upon a time"}, {"max_tokens", 12}, {"temperature", 0}});
  ASSERT_EQ(r.status, 200) << r.raw;
  const nlohmann::json& b = r.body;
  EXPECT_EQ(b["object"], "text_completion");
  EXPECT_EQ(b["id"].get<std::string>().rfind("cmpl-", 0), 0u);
  EXPECT_TRUE(b["created"].is_number_integer());
  EXPECT_EQ(b["model"], "stories260K-hf");
  ASSERT_EQ(b["choices"].size(), 1u);
  EXPECT_EQ(b["choices"][0]["index"], 0);
  EXPECT_TRUE(b["choices"][0]["text"].is_string());
  EXPECT_TRUE(b["choices"][0]["logprobs"].is_null());
  EXPECT_EQ(b["usage"]["completion_tokens"], 12);
}

// Greedy: the streamed text, the whole response and `odma generate` agree exactly.
TEST_F(Stories, StreamedEqualsWholeEqualsGenerate) {
  const std::string prompt = "Lily and Tom went to the park. They";
  auto c = server_->client();
  const nlohmann::json body = {{"prompt", prompt},
                               {"max_tokens", 60},
                               {"temperature", 0},
                               {"stream_options", {{"include_usage", true}}}};
  nlohmann::json whole_body = body;
  whole_body.erase("stream_options");
  const Reply whole = post(c, "/v1/completions", whole_body);
  ASSERT_EQ(whole.status, 200) << whole.raw;
  const Stream s = stream(c, "/v1/completions", body);
  ASSERT_EQ(s.status, 200);
  ASSERT_TRUE(s.done);
  EXPECT_EQ(s.text(), whole.body["choices"][0]["text"]);
  // One id and created for every chunk; the usage chunk last, with no choices.
  for (const auto& e : s.events) {
    EXPECT_EQ(e["id"], s.events.front()["id"]);
    EXPECT_EQ(e["created"], s.events.front()["created"]);
    EXPECT_EQ(e["object"], "text_completion");
  }
  ASSERT_GE(s.events.size(), 2u);
  EXPECT_TRUE(s.events.back()["choices"].empty());
  EXPECT_EQ(s.events.back()["usage"]["completion_tokens"],
            whole.body["usage"]["completion_tokens"]);
  EXPECT_FALSE(s.events[s.events.size() - 2]["choices"][0]["finish_reason"].is_null());

  int code = 0;
  const std::string generated =
      run_command(std::string(ODMA_BINARY) + " generate --model " + model_path("stories260K-hf") +
                      " --prompt '" + prompt + "' --max-tokens 60 --predictor none 2>/dev/null",
                  code);
  ASSERT_EQ(code, 0);
  EXPECT_EQ(generated, whole.body["choices"][0]["text"].get<std::string>() + "\n\n");
}

// A stop string cuts the text before it, in the whole response and the stream alike, and no
// streamed chunk ever carries a piece of it.
TEST_F(Stories, StopStringsNeverLeakIntoTheStream) {
  auto c = server_->client();
  const Reply free_run =
      post(c, "/v1/completions",
           {{"prompt", "Once upon a time"}, {"max_tokens", 80}, {"temperature", 0}});
  ASSERT_EQ(free_run.status, 200);
  const std::string text = free_run.body["choices"][0]["text"];
  ASSERT_GT(text.size(), 40u);
  const std::string stop = text.substr(20, 6);  // something the model certainly writes
  const nlohmann::json body = {{"prompt", "Once upon a time"},
                               {"max_tokens", 80},
                               {"temperature", 0},
                               {"stop", {stop, "zzzz-never"}}};
  const Reply whole = post(c, "/v1/completions", body);
  ASSERT_EQ(whole.status, 200);
  EXPECT_EQ(whole.body["choices"][0]["text"], text.substr(0, text.find(stop)));
  EXPECT_EQ(whole.body["choices"][0]["finish_reason"], "stop");
  const Stream s = stream(c, "/v1/completions", body);
  EXPECT_EQ(s.text(), whole.body["choices"][0]["text"]);
  for (const auto& e : s.events) {
    if (e["choices"].empty()) continue;
    const std::string piece = e["choices"][0]["text"];
    EXPECT_EQ(piece.find(stop.substr(0, 3)), std::string::npos) << "leaked: " << piece;
  }
}

TEST_F(Stories, ModelsTokenizeAndDetokenize) {
  auto c = server_->client();
  const Reply m = get(c, "/v1/models");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.body["object"], "list");
  EXPECT_EQ(m.body["data"][0]["id"], "stories260K-hf");
  EXPECT_EQ(m.body["data"][0]["object"], "model");
  EXPECT_EQ(m.body["data"][0]["max_model_len"], 512);
  EXPECT_EQ(get(c, "/v1/models/stories260K-hf").status, 200);
  EXPECT_EQ(get(c, "/v1/models/other").status, 404);
  const Reply t = post(c, "/tokenize", {{"prompt", "Hello"}});
  ASSERT_EQ(t.status, 200);
  EXPECT_EQ(t.body["count"], t.body["tokens"].size());
  EXPECT_EQ(t.body["max_model_len"], 512);
  const Reply d = post(c, "/detokenize", {{"tokens", t.body["tokens"]}});
  ASSERT_EQ(d.status, 200);
  EXPECT_NE(d.body["prompt"].get<std::string>().find("Hello"), std::string::npos);
}

TEST_F(Stories, HealthAndMetricsWithVllmsNames) {
  auto c = server_->client();
  EXPECT_EQ(get(c, "/health").status, 200);
  EXPECT_EQ(get(c, "/ready").status, 200);
  ASSERT_EQ(post(c, "/v1/completions", {{"prompt", "Hi"}, {"max_tokens", 3}}).status, 200);
  const Reply m = get(c, "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.header("Content-Type").find("text/plain"), std::string::npos);
  for (const char* name :
       {"odma:num_requests_running", "odma:num_requests_waiting", "odma:kv_cache_usage_perc",
        "odma:prompt_tokens_total", "odma:generation_tokens_total", "odma:num_preemptions_total",
        "odma:kv_utilization", "odma:kv_reserved_slots", "odma:kv_migrations_total"}) {
    EXPECT_GE(metric(m.raw, name, {"model_name=\"stories260K-hf\""}), 0) << name;
  }
  EXPECT_GE(metric(m.raw, "odma:request_success_total", {"finished_reason=\"length\""}), 1);
  EXPECT_GE(metric(m.raw, "odma:time_to_first_token_seconds_count"), 1);
  EXPECT_GE(metric(m.raw, "odma:e2e_request_latency_seconds_count"), 1);
  EXPECT_GE(metric(m.raw, "odma:predictor_abs_error_tokens_count"), 1);
  EXPECT_EQ(metric(m.raw, "odma:predictor_coverage"), 0.5);  // the default bundled@0.5
  EXPECT_GE(metric(m.raw, "odma:predictor_miss_rate"), 0);
  EXPECT_GE(metric(m.raw, "odma:kv_bucket_upper_edge", {"bucket=\"0\""}), 1);
  EXPECT_EQ(wait_kv_free(c, 2.0), 0);
}

// curl, as the README's quickstart uses it: a completion, and a stream read as raw SSE.
TEST_F(Stories, CurlSeesTheSameAsAnyClient) {
  int code = 0;
  const std::string url = server_->base_url();
  const std::string body =
      R"('{"prompt": "Once upon a time", "max_tokens": 20, "temperature": 0}')";
  const std::string whole = run_command(
      "curl -s " + url + "/v1/completions -H 'Content-Type: application/json' -d " + body, code);
  ASSERT_EQ(code, 0) << whole;
  const nlohmann::json j = nlohmann::json::parse(whole, nullptr, false);
  ASSERT_TRUE(j.is_object()) << whole;
  const std::string streamed = run_command(
      "curl -sN " + url +
          "/v1/completions -H 'Content-Type: application/json' -d "
          R"('{"prompt": "Once upon a time", "max_tokens": 20, "temperature": 0, "stream": true}')",
      code);
  ASSERT_EQ(code, 0) << streamed;
  sse::Parser parser;
  std::string text;
  for (const std::string& payload : parser.feed(streamed))
    text += nlohmann::json::parse(payload)["choices"][0]["text"].get<std::string>();
  EXPECT_TRUE(parser.done()) << streamed;
  EXPECT_EQ(text, j["choices"][0]["text"]);
  EXPECT_EQ(streamed.substr(0, 6), "data: ");
}

}  // namespace
}  // namespace odma::server::testing
