// Bad input is rejected with a clear odma::Error and the engine keeps serving everyone else;
// stop conditions (EOS, stop strings, forced length, max_tokens) end requests where they should.
#include <gtest/gtest.h>

#include <string>

#include "base/error.h"
#include "serve/stop_criteria.h"
#include "serve_test_util.h"
#include "tokenizer/tokenizer.h"

namespace odma::serve {
namespace {

using testing::engine_config;
using testing::greedy;
using testing::Job;
using testing::model_dir;
using testing::random_prompt;
using testing::run_all;
using testing::sampled;
using testing::shipped_model;
using testing::tiny_random_model;

// The error message must mention `needle`.
template <typename F>
void expect_error(F&& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no odma::Error (wanted one about '" << needle << "')";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(EngineErrors, BadRequestsAreRejectedAndOthersKeepRunning) {
  const Job good{random_prompt(9, 1), sampled(30, 5)};
  Engine solo(tiny_random_model(), engine_config("odma", 512, 64));
  const auto want = run_all(solo, {good}).front().output_ids;

  Engine e(tiny_random_model(), engine_config("odma", 512, 64));
  const RequestId id = e.submit(good.prompt, good.params);
  (void)e.step();  // mid-flight while the bad ones arrive
  const int vocab = tiny_random_model()->config().vocab_size;
  expect_error([&] { e.submit({}, greedy(4)); }, "empty prompt");
  expect_error([&] { e.submit({1, vocab, 2}, greedy(4)); }, "outside the vocabulary");
  expect_error([&] { e.submit({-1}, greedy(4)); }, "outside the vocabulary");
  expect_error([&] { e.submit(random_prompt(64, 2), greedy(4)); }, "max length of 64");
  expect_error([&] { e.submit(random_prompt(200, 2), greedy(4)); }, "max length of 64");
  RequestParams p = greedy(4);
  p.sampling.temperature = -1.0f;
  expect_error([&] { e.submit({1}, p); }, "temperature");
  p = greedy(4);
  p.sampling.top_p = 0.0f;
  expect_error([&] { e.submit({1}, p); }, "top_p");
  p = greedy(4);
  p.sampling.top_k = -2;
  expect_error([&] { e.submit({1}, p); }, "top_k");
  p = greedy(0);
  expect_error([&] { e.submit({1}, p); }, "max_tokens");
  p = greedy(4);
  p.stop = {"x"};
  expect_error([&] { e.submit({1}, p); }, "tokenizer");
  p.forced_output_tokens = -1;
  p.stop.clear();
  expect_error([&] { e.submit({1}, p); }, "forced_output_tokens");

  // The good request and a later one still complete normally.
  const RequestId later = e.submit({5, 6, 7}, greedy(3));
  while (!e.idle()) (void)e.step();
  EXPECT_EQ(e.output(id).output_ids, want);
  EXPECT_EQ(e.output(later).output_ids.size(), 3u);
  EXPECT_EQ(e.counters().completed, 2);
  EXPECT_EQ(e.policy().validate(), "");
  expect_error([&] { (void)e.output(12345); }, "unknown request");
}

TEST(EngineErrors, MaxTokensIsClampedToTheModelLength) {
  Engine e(tiny_random_model(), engine_config("static", 512, 64));
  const auto o = run_all(e, {{random_prompt(60, 3), greedy(100)}}).front();
  EXPECT_EQ(o.output_ids.size(), 4u);  // 60 + 4 = max_model_len
  EXPECT_EQ(o.finish, FinishReason::kLength);
}

TEST(EngineErrors, BadConfigIsAnError) {
  EXPECT_THROW(Engine(tiny_random_model(), engine_config("lru", 512, 64)), Error);
  EXPECT_THROW(Engine(tiny_random_model(), engine_config("odma", 0, 64)), Error);
}

TEST(StopCriteria, EosForcedAndLengthInOrder) {
  RequestParams p = greedy(5, /*ignore_eos=*/false);
  StopCriteria s(p, {7, 9}, nullptr);
  EXPECT_EQ(s.on_token(3, 1), FinishReason::kNone);
  EXPECT_EQ(s.on_token(9, 2), FinishReason::kEos);
  p.sampling.ignore_eos = true;
  p.forced_output_tokens = 3;
  StopCriteria forced(p, {7, 9}, nullptr);
  EXPECT_EQ(forced.on_token(9, 2), FinishReason::kNone);
  EXPECT_EQ(forced.on_token(9, 3), FinishReason::kForced);
  p.forced_output_tokens = 0;
  StopCriteria length(p, {7}, nullptr);
  EXPECT_EQ(length.on_token(7, 4), FinishReason::kNone);
  EXPECT_EQ(length.on_token(7, 5), FinishReason::kLength);
  p.stop = {""};
  EXPECT_THROW(StopCriteria(p, {}, nullptr), Error);
}

// A stop string taken from the middle of a real generation ends the request right there, the
// text is cut before it, and the ids up to that point are unchanged.
TEST(StopCriteria, StopStringCutsTheStreamedText) {
  auto tok = tokenizer::Tokenizer::load(model_dir("stories260K-hf"));
  const std::vector<std::int32_t> prompt = tok.encode("Once upon a time", true);
  Engine plain(shipped_model("stories260K-hf"), engine_config("odma", 512, 512), tok);
  const RequestOutput full = run_all(plain, {{prompt, greedy(60)}}).front();
  const std::size_t at = full.text.find("ball");
  ASSERT_NE(at, std::string::npos) << full.text;

  RequestParams p = greedy(60);
  p.stop = {"ball", "never appears"};
  Engine e(shipped_model("stories260K-hf"), engine_config("odma", 512, 512), tok);
  const RequestOutput o = run_all(e, {{prompt, p}}).front();
  EXPECT_EQ(o.finish, FinishReason::kStopString);
  EXPECT_EQ(o.text, full.text.substr(0, at));
  ASSERT_LT(o.output_ids.size(), full.output_ids.size());
  EXPECT_TRUE(std::equal(o.output_ids.begin(), o.output_ids.end(), full.output_ids.begin()));
  EXPECT_EQ(tok.decode(full.output_ids, true), full.text);
}

}  // namespace
}  // namespace odma::serve
