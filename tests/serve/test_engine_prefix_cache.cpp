// Prefix caching in the engine: a request whose prompt starts with what an earlier one left
// cached skips computing it, and its greedy tokens are exactly those of the same engine with
// caching off (same prompt twice, a prefix shared by many, a multi-turn conversation whose next
// turn carries the previous answer), under every policy that caches.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "serve_test_util.h"

namespace odma::serve {
namespace {

using testing::engine_config;
using testing::greedy;
using testing::Job;
using testing::random_prompt;
using testing::run_all;
using testing::tiny_random_model;

EngineConfig config(const std::string& policy, bool caching) {
  EngineConfig c = engine_config(policy, 4096, 512);
  c.kv.prefix_caching = caching;
  return c;
}

// Runs `turns` one after another in one engine (each waits for the previous to finish, as a
// conversation does); returns each output.
std::vector<RequestOutput> run_in_turn(Engine& e, const std::vector<Job>& turns) {
  std::vector<RequestOutput> out;
  for (const Job& j : turns) out.push_back(run_all(e, {j}).front());
  return out;
}

std::vector<std::int32_t> cat(std::vector<std::int32_t> a, const std::vector<std::int32_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

class PrefixCache : public ::testing::TestWithParam<const char*> {};

TEST_P(PrefixCache, TheSamePromptTwiceGivesTheSameTokensAndSkipsItsPrefill) {
  const Job job{random_prompt(70, 1), greedy(24)};
  Engine off(tiny_random_model(), config(GetParam(), false));
  Engine on(tiny_random_model(), config(GetParam(), true));
  const auto want = run_in_turn(off, {job, job});
  const auto got = run_in_turn(on, {job, job});
  EXPECT_EQ(got[0].output_ids, want[0].output_ids);
  EXPECT_EQ(got[1].output_ids, want[1].output_ids);
  EXPECT_EQ(got[0].cached_tokens, 0);
  const int block = std::string(GetParam()) == "paged" ? 16 : 1;
  EXPECT_EQ(got[1].cached_tokens, 69 / block * block);  // all but the last prompt token
  EXPECT_EQ(want[1].cached_tokens, 0);
  // The second turn computed only the uncached part of its prompt.
  EXPECT_EQ(on.counters().prefill_tokens, off.counters().prefill_tokens - got[1].cached_tokens);
  EXPECT_EQ(on.policy().validate(), "");
}

TEST_P(PrefixCache, APrefixSharedByManyIsComputedOnceAndChangesNoToken) {
  const std::vector<std::int32_t> system = random_prompt(64, 7);
  std::vector<Job> jobs;
  for (std::uint32_t i = 0; i < 6; ++i)
    jobs.push_back({cat(system, random_prompt(9, 100 + i)), greedy(20)});
  Engine off(tiny_random_model(), config(GetParam(), false));
  Engine on(tiny_random_model(), config(GetParam(), true));
  // The first request warms the cache; the other five arrive together after it.
  const auto want_first = run_all(off, {jobs[0]});
  const auto got_first = run_all(on, {jobs[0]});
  const std::vector<Job> rest(jobs.begin() + 1, jobs.end());
  const auto want = run_all(off, rest);
  const auto got = run_all(on, rest);
  EXPECT_EQ(got_first[0].output_ids, want_first[0].output_ids);
  for (std::size_t i = 0; i < rest.size(); ++i) {
    EXPECT_EQ(got[i].output_ids, want[i].output_ids) << "request " << i + 1;
    EXPECT_GE(got[i].cached_tokens, 64);  // paged too: 64 is four whole blocks
  }
  EXPECT_GE(on.policy().counters().prefix_hits, 5 * 64);
}

TEST_P(PrefixCache, AMultiTurnConversationReadsItsEarlierTurnsAndAnswer) {
  // Turn k's prompt = turn k−1's prompt + its answer + a new user message.
  std::vector<std::int32_t> prompt = random_prompt(40, 3);
  Engine off(tiny_random_model(), config(GetParam(), false));
  Engine on(tiny_random_model(), config(GetParam(), true));
  for (std::uint32_t turn = 0; turn < 4; ++turn) {
    const Job job{prompt, greedy(16)};
    const RequestOutput want = run_all(off, {job}).front();
    const RequestOutput got = run_all(on, {job}).front();
    ASSERT_EQ(got.output_ids, want.output_ids) << "turn " << turn;
    if (turn > 0 && std::string(GetParam()) != "paged") {
      // The previous prompt and all of its answer but the last token (whose K/V was never
      // computed) are cached.
      EXPECT_GE(got.cached_tokens, static_cast<std::int32_t>(prompt.size()) - 9 - 1) << turn;
    }
    prompt = cat(cat(prompt, got.output_ids), random_prompt(8, 50 + turn));
  }
  EXPECT_GT(on.policy().counters().prefix_hits, 0);
}

INSTANTIATE_TEST_SUITE_P(CachingPolicies, PrefixCache, ::testing::Values("odma", "paged", "s3"));

TEST(PrefixCacheEngine, ResetFreesTheIdleCacheAndTheStaticPolicyNeverCaches) {
  const Job job{random_prompt(50, 2), greedy(8)};
  Engine e(tiny_random_model(), config("odma", true));
  (void)run_all(e, {job});
  EXPECT_GT(e.policy().gauges().cached, 0);
  const kv::KvGauges before = e.policy().gauges();  // read first: argument order is unspecified
  EXPECT_EQ(e.reset_prefix_cache(), before.capacity - before.free - before.reserved);
  EXPECT_EQ(e.policy().gauges().cached, 0);
  EXPECT_EQ(e.policy().gauges().free, e.policy().gauges().capacity);

  Engine s(tiny_random_model(), config("static", true));
  const auto out = run_in_turn(s, {job, job});
  EXPECT_EQ(out[1].cached_tokens, 0);
  EXPECT_EQ(s.policy().gauges().cached, 0);
}

}  // namespace
}  // namespace odma::serve
