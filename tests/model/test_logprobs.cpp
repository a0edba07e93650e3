// token_logprobs: the log-softmax of the raw logits (vLLM's default raw_logprobs), the sampled
// token's and the k most likely, against a plain double-precision reference.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "model/logprobs.h"

namespace odma::model {
namespace {

std::vector<double> reference_log_softmax(const std::vector<float>& logits) {
  double max = logits[0];
  for (float v : logits) max = std::max(max, static_cast<double>(v));
  double sum = 0;
  for (float v : logits) sum += std::exp(v - max);
  std::vector<double> out;
  for (float v : logits) out.push_back(v - max - std::log(sum));
  return out;
}

TEST(TokenLogprobs, MatchTheLogSoftmaxAndListTheMostLikelyFirst) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 4.0f);
  std::vector<float> logits(151936);  // Qwen2's padded vocabulary
  for (float& v : logits) v = normal(rng);
  const std::vector<double> want = reference_log_softmax(logits);
  const LogprobEntry e = token_logprobs(logits.data(), static_cast<int>(logits.size()), 1234, 20);
  EXPECT_EQ(e.chosen.id, 1234);
  EXPECT_NEAR(e.chosen.logprob, want[1234], 1e-4);
  ASSERT_EQ(e.top.size(), 20u);
  std::vector<int> order(logits.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::partial_sort(order.begin(), order.begin() + 20, order.end(),
                    [&](int a, int b) { return logits[a] > logits[b]; });
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(e.top[i].id, order[i]) << i;
    EXPECT_NEAR(e.top[i].logprob, want[order[i]], 1e-4) << i;
    EXPECT_LE(e.top[i].logprob, 0.0f);
  }
}

TEST(TokenLogprobs, TiesGoToTheLowerIdAndZeroAlternativesIsEmpty) {
  const std::vector<float> logits = {1.0f, 3.0f, 3.0f, -2.0f};
  const LogprobEntry e = token_logprobs(logits.data(), 4, 3, 4);
  ASSERT_EQ(e.top.size(), 4u);
  EXPECT_EQ(e.top[0].id, 1);
  EXPECT_EQ(e.top[1].id, 2);
  EXPECT_EQ(e.top[2].id, 0);
  EXPECT_EQ(e.top[3], e.chosen);
  double total = 0;
  for (const TokenLogprob& t : e.top) total += std::exp(static_cast<double>(t.logprob));
  EXPECT_NEAR(total, 1.0, 1e-6);
  EXPECT_TRUE(token_logprobs(logits.data(), 4, 0, 0).top.empty());
}

}  // namespace
}  // namespace odma::model
