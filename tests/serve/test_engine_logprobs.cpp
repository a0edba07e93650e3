// Log-probabilities of generated tokens (RequestParams::logprobs): a greedy token is the most
// likely of its alternatives, and every value equals the log-softmax of the logits of a separate
// forward pass over the same tokens (the reference, computed without the engine); a request that
// does not ask carries none; a bad count is refused.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "base/error.h"
#include "serve_test_util.h"
#include "tokenizer/tokenizer.h"

namespace odma::serve {
namespace {

using testing::engine_config;
using testing::greedy;
using testing::random_prompt;
using testing::run_all;
using testing::shipped_model;

// Logits of the last token of `tokens` from one prefill in a fresh arena.
std::vector<float> reference_logits(const model::Transformer& m,
                                    const std::vector<std::int32_t>& tokens) {
  auto storage = m.make_storage(1024);
  const int n = static_cast<int>(tokens.size());
  std::vector<model::BatchItem> batch = {
      {tokens.data(), n, 0, model::SeqKv::contiguous({kv::Extent{0, 1024}})}};
  std::vector<float> logits(static_cast<std::size_t>(m.config().vocab_size));
  m.forward(batch, *storage, logits.data());
  return logits;
}

TEST(EngineLogprobs, GreedyTokensAreTheMostLikelyAndMatchASeparateForwardPass) {
  const auto m = shipped_model("stories260K-hf");
  Engine e(m, engine_config("odma", 2048, 512));
  RequestParams p = greedy(12);
  p.logprobs = 3;
  const std::vector<std::int32_t> prompt =
      tokenizer::Tokenizer::load(testing::model_dir("stories260K-hf"))
          .encode("Once upon a time", true);
  const RequestOutput out = run_all(e, {{prompt, p}}).front();
  ASSERT_EQ(out.logprobs.size(), out.output_ids.size());
  std::vector<std::int32_t> context = prompt;
  for (std::size_t i = 0; i < out.output_ids.size(); ++i) {
    const model::LogprobEntry& lp = out.logprobs[i];
    EXPECT_EQ(lp.chosen.id, out.output_ids[i]);
    ASSERT_EQ(lp.top.size(), 3u);
    EXPECT_EQ(lp.top[0].id, lp.chosen.id) << "token " << i;  // greedy: the most likely
    EXPECT_LE(lp.chosen.logprob, 0.0f);
    const std::vector<float> logits = reference_logits(*m, context);
    const model::LogprobEntry want =
        model::token_logprobs(logits.data(), static_cast<int>(logits.size()), out.output_ids[i], 3);
    EXPECT_NEAR(lp.chosen.logprob, want.chosen.logprob, 1e-4) << "token " << i;
    for (std::size_t k = 0; k < 3; ++k) {
      EXPECT_EQ(lp.top[k].id, want.top[k].id) << i << "/" << k;
      EXPECT_NEAR(lp.top[k].logprob, want.top[k].logprob, 1e-4) << i << "/" << k;
    }
    context.push_back(out.output_ids[i]);
  }
}

// Scoring a prompt (echo with logprobs): every prompt token after the first gets the log-softmax
// that a forward pass over the tokens before it gives, across prefill chunks; such a request reads
// nothing from the prefix cache (its positions must all be computed) and leaves nothing there.
TEST(EngineLogprobs, PromptTokensAreScoredAsSeparateForwardPassesScoreThem) {
  const auto m = shipped_model("stories260K-hf");
  EngineConfig c = engine_config("odma", 2048, 512);
  c.planner.prefill_chunk_tokens = 4;  // the 9-token prompt crosses chunk boundaries
  Engine e(m, c);
  const std::vector<std::int32_t> prompt =
      tokenizer::Tokenizer::load(testing::model_dir("stories260K-hf"))
          .encode("Once upon a time, there was a", true);
  ASSERT_GT(prompt.size(), 8u);
  RequestParams p = greedy(3);
  p.prompt_logprobs = 2;
  const RequestOutput first = run_all(e, {{prompt, p}}).front();
  ASSERT_EQ(first.prompt_logprobs.size(), prompt.size());
  EXPECT_FALSE(first.prompt_logprobs[0].has_value());  // nothing predicts the first token
  for (std::size_t i = 1; i < prompt.size(); ++i) {
    ASSERT_TRUE(first.prompt_logprobs[i].has_value()) << i;
    const std::vector<float> logits =
        reference_logits(*m, std::vector<std::int32_t>(prompt.begin(), prompt.begin() + i));
    const model::LogprobEntry want =
        model::token_logprobs(logits.data(), static_cast<int>(logits.size()), prompt[i], 2);
    EXPECT_EQ(first.prompt_logprobs[i]->chosen.id, prompt[i]);
    EXPECT_NEAR(first.prompt_logprobs[i]->chosen.logprob, want.chosen.logprob, 1e-4) << i;
    ASSERT_EQ(first.prompt_logprobs[i]->top.size(), 2u);
    EXPECT_EQ(first.prompt_logprobs[i]->top[0].id, want.top[0].id) << i;
  }
  // The same prompt again is scored again, in full, and the outputs agree.
  const RequestOutput again = run_all(e, {{prompt, p}}).front();
  EXPECT_EQ(again.cached_tokens, 0);
  EXPECT_EQ(again.output_ids, first.output_ids);
  EXPECT_EQ(e.policy().gauges().cached, 0);
  // A request that does not score its prompt still generates the same tokens.
  EXPECT_EQ(run_all(e, {{prompt, greedy(3)}}).front().output_ids, first.output_ids);
}

TEST(EngineLogprobs, NoneUnlessAskedAndBadCountsAreRefused) {
  Engine e(testing::tiny_random_model(), engine_config("odma", 2048, 512));
  EXPECT_TRUE(run_all(e, {{random_prompt(8, 1), greedy(4)}}).front().logprobs.empty());
  RequestParams zero = greedy(4);
  zero.logprobs = 0;
  const RequestOutput out = run_all(e, {{random_prompt(8, 1), zero}}).front();
  ASSERT_EQ(out.logprobs.size(), 4u);
  EXPECT_TRUE(out.logprobs[0].top.empty());
  for (const int bad : {-2, 21}) {
    RequestParams p = greedy(4);
    p.logprobs = bad;
    EXPECT_THROW((void)e.submit(random_prompt(8, 1), p), Error) << bad;
    p.logprobs = -1;
    p.prompt_logprobs = bad;
    EXPECT_THROW((void)e.submit(random_prompt(8, 1), p), Error) << bad;
  }
}

}  // namespace
}  // namespace odma::serve
