// Sampling: greedy, seeded temperature / top-k / top-p, stop on EOS.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "base/error.h"
#include "model/sampling.h"
#include "test_scale.h"

namespace odma::model {
namespace {

const std::vector<float> kLogits = {1.0f, 3.0f, 2.0f, 3.0f, -1.0f, 0.5f};

TEST(Sampling, GreedyTakesLowestIdAmongTies) {
  EXPECT_EQ(argmax(kLogits.data(), 6), 1);
  Sampler s(SamplingParams{});
  EXPECT_EQ(s.sample(kLogits.data(), 6), 1);
  Sampler k1(SamplingParams{1.0f, 1, 1.0f, 9});
  EXPECT_EQ(k1.sample(kLogits.data(), 6), 1);  // top_k = 1 is greedy
}

TEST(Sampling, SameSeedSameTokensDifferentSeedDiffers) {
  auto draw = [](std::uint64_t seed) {
    Sampler s(SamplingParams{1.0f, 0, 1.0f, seed});
    std::vector<std::int32_t> out;
    for (int i = 0; i < 64; ++i) out.push_back(s.sample(kLogits.data(), 6));
    return out;
  };
  EXPECT_EQ(draw(5), draw(5));
  EXPECT_NE(draw(5), draw(6));
}

TEST(Sampling, FrequenciesFollowSoftmaxAtTemperature) {
  const float t = 0.7f;
  Sampler s(SamplingParams{t, 0, 1.0f, 42});
  const int n = static_cast<int>(odma::testing::scaled(60000, 6000));
  std::vector<int> count(6, 0);
  for (int i = 0; i < n; ++i) ++count[static_cast<std::size_t>(s.sample(kLogits.data(), 6))];
  double z = 0;
  for (float l : kLogits) z += std::exp(l / t);
  for (int i = 0; i < 6; ++i) {
    const double p = std::exp(kLogits[i] / t) / z;
    const double sd = std::sqrt(p * (1 - p) / n);
    EXPECT_NEAR(count[i] / double(n), p, 5 * sd + 1e-4) << "token " << i;
  }
}

TEST(Sampling, TopKAndTopPRestrictTheCandidates) {
  Sampler k2(SamplingParams{5.0f, 2, 1.0f, 1});  // hot, but only the two best may appear
  // At T = 5 ids 1 and 3 tie at p = 0.22 each: top_p 0.2 keeps only the first (id 1).
  Sampler p(SamplingParams{5.0f, 0, 0.2f, 2});
  std::map<std::int32_t, int> seen_k, seen_p;
  for (int i = 0; i < 2000; ++i) {
    ++seen_k[k2.sample(kLogits.data(), 6)];
    ++seen_p[p.sample(kLogits.data(), 6)];
  }
  EXPECT_EQ(seen_k.size(), 2u);
  EXPECT_TRUE(seen_k.count(1) && seen_k.count(3));
  EXPECT_EQ(seen_p.size(), 1u);
  EXPECT_TRUE(seen_p.count(1));  // lower id first among equal logits
  // top_p = 1 with a hot temperature reaches every token.
  Sampler all(SamplingParams{5.0f, 0, 1.0f, 3});
  std::map<std::int32_t, int> seen;
  for (int i = 0; i < 2000; ++i) ++seen[all.sample(kLogits.data(), 6)];
  EXPECT_EQ(seen.size(), 6u);
}

// A vocabulary of Qwen2's size: the nucleus sorts only the prefix it reaches (in chunks), and must
// keep exactly the smallest prefix by probability whatever the chunk boundaries; −∞ (masked) ids
// are never drawn, at any temperature or top_p.
TEST(Sampling, LargeVocabularyNucleusAndMasksKeepTheirExactSets) {
  const int vocab = 151936;
  std::vector<float> logits(static_cast<std::size_t>(vocab));
  std::uint64_t x = 7;
  for (float& l : logits) {  // distinct pseudo-random logits in [0, 8)
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    l = static_cast<float>(x >> 40) / static_cast<float>(1 << 24) * 8.0f;
  }
  // The nucleus at top_p: the most likely ids until their mass reaches it (brute force).
  const float t = 0.5f, top_p = 0.3f;
  std::vector<std::pair<float, std::int32_t>> order;
  for (int i = 0; i < vocab; ++i) order.push_back({logits[static_cast<std::size_t>(i)], i});
  std::sort(order.begin(), order.end(), [](auto a, auto b) { return a.first > b.first; });
  double z = 0.0;
  for (const auto& [l, id] : order) z += std::exp((l - order[0].first) / t);
  std::set<std::int32_t> nucleus;
  double mass = 0.0;
  for (const auto& [l, id] : order) {
    nucleus.insert(id);
    mass += std::exp((l - order[0].first) / t) / z;
    if (mass >= top_p) break;
  }
  ASSERT_GT(nucleus.size(), 1000u);  // past the first sorted chunks
  Sampler p(SamplingParams{t, 0, top_p, 11});
  std::set<std::int32_t> drawn;
  for (int i = 0; i < 300; ++i) drawn.insert(p.sample(logits.data(), vocab));
  for (std::int32_t id : drawn) EXPECT_TRUE(nucleus.count(id)) << id;
  EXPECT_GT(drawn.size(), 100u);
  // Masked: only the three finite ids can come, however cold or nucleus-cut.
  std::vector<float> masked(logits.size(), -std::numeric_limits<float>::infinity());
  for (std::int32_t id : {5, 70000, 151935}) masked[static_cast<std::size_t>(id)] = -3.0f;
  for (const SamplingParams& sp :
       {SamplingParams{1.0f, 0, 1.0f, 1}, SamplingParams{2.0f, 0, 0.5f, 2},
        SamplingParams{1.0f, 50, 1.0f, 3}}) {
    Sampler s(sp);
    for (int i = 0; i < 50; ++i) {
      const std::int32_t id = s.sample(masked.data(), vocab);
      EXPECT_TRUE(id == 5 || id == 70000 || id == 151935) << id;
    }
  }
}

TEST(Sampling, InvalidParametersAreNamed) {
  for (auto [params, field] :
       std::vector<std::pair<SamplingParams, std::string>>{{{-1.0f, 0, 1.0f, 0}, "temperature"},
                                                           {{1.0f, -2, 1.0f, 0}, "top_k"},
                                                           {{1.0f, 0, 0.0f, 0}, "top_p"},
                                                           {{1.0f, 0, 1.5f, 0}, "top_p"}}) {
    try {
      Sampler s(params);
      FAIL() << field;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  }
}

// OpenAI's penalties: logit −= frequency · count + presence · [count > 0], over the tokens this
// request has sampled. Greedy makes the effect exact: the leader is pushed down step by step.
TEST(Sampling, PresenceAndFrequencyPenaltiesFollowOpenAisFormula) {
  const std::vector<float> logits = {2.0f, 1.5f, 1.0f, -5.0f};
  SamplingParams presence;
  presence.presence_penalty = 0.6f;  // 2.0 − 0.6 = 1.4 < 1.5: token 1 wins once 0 has appeared
  Sampler p(presence);
  std::vector<std::int32_t> got;
  for (int i = 0; i < 4; ++i) got.push_back(p.sample(logits.data(), 4));
  // Then 0: 1.4, 1: 0.9, 2: 1.0: presence is paid once, so 0 leads again for good.
  EXPECT_EQ(got, (std::vector<std::int32_t>{0, 1, 0, 0}));
  SamplingParams frequency;
  frequency.frequency_penalty = 0.3f;  // each repeat costs 0.3 more
  Sampler f(frequency);
  got.clear();
  for (int i = 0; i < 5; ++i) got.push_back(f.sample(logits.data(), 4));
  // 0 (2.0); 0 (1.7 > 1.5); 1 (1.4 < 1.5); 0 (1.4 > 1.2, 1.0); 1 (1.2 > 1.1, 1.0)
  EXPECT_EQ(got, (std::vector<std::int32_t>{0, 0, 1, 0, 1}));
  // Negative penalties reward repeats; no penalty leaves greedy alone.
  SamplingParams reward;
  reward.presence_penalty = -1.0f;
  Sampler r(reward);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(r.sample(logits.data(), 4), 0);
  // Out of range is named.
  SamplingParams bad;
  bad.frequency_penalty = 2.5f;
  EXPECT_THROW(bad.validate(), Error);
  bad.frequency_penalty = 0;
  bad.presence_penalty = -2.1f;
  EXPECT_THROW(bad.validate(), Error);
}

TEST(Sampling, StopOnEosUnlessIgnored) {
  const std::vector<std::int32_t> eos = {2, 151643};
  EXPECT_TRUE(is_stop(151643, eos, false));
  EXPECT_FALSE(is_stop(151643, eos, true));
  EXPECT_FALSE(is_stop(7, eos, false));
}

}  // namespace
}  // namespace odma::model
