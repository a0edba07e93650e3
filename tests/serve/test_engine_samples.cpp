// Parallel samples (OpenAI's `n`): with prefix caching the prompt is computed once and held once,
// each sample reads it from the cache and owns only the rest; every sample's tokens equal those of
// the same request sent alone (greedy: all equal; sampled: seed + i, vLLM's rule). A group's
// samples end together when their prompt's prefill cannot be served, and cancelling every sample
// stops it.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "base/error.h"
#include "serve_test_util.h"

namespace odma::serve {
namespace {

using testing::engine_config;
using testing::greedy;
using testing::random_prompt;
using testing::run_all;
using testing::sampled;
using testing::tiny_random_model;

EngineConfig config(const std::string& policy, bool caching, std::int64_t capacity = 4096) {
  EngineConfig c = engine_config(policy, capacity, 512);
  c.kv.prefix_caching = caching;
  return c;
}

// Steps until idle; checks the policy's invariants after every step and calls `each_step`.
template <typename F>
void run_until_idle(Engine& e, F each_step) {
  for (int guard = 0; !e.idle(); ++guard) {
    ASSERT_LT(guard, 100000) << "engine never became idle";
    (void)e.step();
    ASSERT_EQ(e.policy().validate(), "");
    each_step();
  }
}

std::vector<RequestOutput> outputs(const Engine& e, const std::vector<RequestId>& ids) {
  std::vector<RequestOutput> out;
  for (RequestId id : ids) out.push_back(e.output(id));
  return out;
}

// Shared prompt tokens a sample reads: all but the last prompt token, in whole blocks for paged.
std::int64_t shared_for(const std::string& policy, std::int64_t prompt) {
  if (policy == "static") return 0;
  const std::int64_t block = policy == "paged" ? 16 : 1;
  return (prompt - 1) / block * block;
}

class Samples : public ::testing::TestWithParam<const char*> {};

TEST_P(Samples, GreedySamplesAreEqualAndThePromptIsComputedAndHeldOnce) {
  const std::string policy = GetParam();
  const std::vector<std::int32_t> prompt = random_prompt(70, 11);
  Engine alone(tiny_random_model(), config(policy, false));
  const RequestOutput want = run_all(alone, {{prompt, greedy(20)}}).front();

  Engine e(tiny_random_model(), config(policy, true));
  const std::vector<RequestId> ids = e.submit_samples(prompt, greedy(20), 4);
  ASSERT_EQ(ids.size(), 4u);
  EXPECT_EQ(e.waiting(), policy == "static" ? 4u : 5u);  // the samples and their prompt's prefill
  const std::int64_t shared = shared_for(policy, 70);
  std::int64_t most_cached = 0;
  run_until_idle(e, [&] {
    for (RequestId id : ids) {
      if (const kv::Allocation* a = e.policy().allocation(id)) {
        EXPECT_EQ(a->shared_tokens, shared) << "sample " << id;
        // A sample owns only its unshared tail: no reservation covers the shared prompt.
        EXPECT_LE(a->reserved, 70 - shared + 20 + 16) << "sample " << id;
      }
    }
    most_cached = std::max(most_cached, e.policy().gauges().cached);
  });
  for (const RequestOutput& o : outputs(e, ids)) {
    EXPECT_EQ(o.output_ids, want.output_ids) << "sample " << o.id;
    EXPECT_EQ(o.finish, FinishReason::kLength);
    EXPECT_EQ(o.prompt_tokens, 70);
    EXPECT_EQ(o.cached_tokens, 0);  // the group found nothing cached before it
  }
  // Computed: the prompt once, then each sample's unshared part (for odma its last token).
  EXPECT_EQ(e.counters().prefill_tokens, policy == "static" ? 4 * 70 : 70 + 4 * (70 - shared));
  EXPECT_EQ(e.counters().output_tokens, 4 * 20);  // the prefill's token is nobody's output
  EXPECT_EQ(e.counters().completed, 4);
  if (policy != "static") {
    EXPECT_GE(most_cached, shared);  // held once, in the cache
  }
  EXPECT_EQ(e.policy().gauges().reserved, 0);
}

TEST_P(Samples, SampledChoicesEqualSeparateRequestsSeededSeedPlusIndex) {
  const std::string policy = GetParam();
  const std::vector<std::int32_t> prompt = random_prompt(45, 12);
  const std::uint64_t seed = 977;
  Engine alone(tiny_random_model(), config(policy, false));
  std::vector<RequestOutput> want;
  for (std::uint64_t i = 0; i < 3; ++i)
    want.push_back(run_all(alone, {{prompt, sampled(16, seed + i)}}).front());
  ASSERT_NE(want[0].output_ids, want[1].output_ids);  // the seeds make different samples

  Engine e(tiny_random_model(), config(policy, true));
  const std::vector<RequestId> ids = e.submit_samples(prompt, sampled(16, seed), 3);
  run_until_idle(e, [] {});
  const std::vector<RequestOutput> got = outputs(e, ids);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(got[i].output_ids, want[i].output_ids) << i;
}

INSTANTIATE_TEST_SUITE_P(AllPolicies, Samples,
                         ::testing::Values("odma", "paged", "s3", "oracle", "static"));

TEST(SamplesEngine, ASecondGroupReportsThePromptTheFirstLeftCached) {
  const std::vector<std::int32_t> prompt = random_prompt(40, 13);
  Engine e(tiny_random_model(), config("odma", true));
  (void)e.submit_samples(prompt, greedy(8), 2);
  run_until_idle(e, [] {});
  const std::vector<RequestId> ids = e.submit_samples(prompt, greedy(8), 2);
  run_until_idle(e, [] {});
  for (const RequestOutput& o : outputs(e, ids)) EXPECT_EQ(o.cached_tokens, 39);
}

TEST(SamplesEngine, CancellingEverySampleStopsThePrefillAndFreesEverything) {
  Engine e(tiny_random_model(), config("odma", true));
  const std::vector<RequestId> ids = e.submit_samples(random_prompt(200, 14), greedy(50), 3);
  EXPECT_TRUE(e.cancel(ids[1]));  // one of three: the others go on
  (void)e.step();                 // the prefill is running now
  EXPECT_FALSE(e.idle());
  EXPECT_TRUE(e.cancel(ids[0]));
  EXPECT_TRUE(e.cancel(ids[2]));
  EXPECT_TRUE(e.idle());
  EXPECT_EQ(e.waiting(), 0u);
  EXPECT_EQ(e.policy().gauges().reserved, 0);
  EXPECT_EQ(e.policy().validate(), "");
  for (RequestId id : ids) EXPECT_EQ(e.output(id).finish, FinishReason::kCancelled);
  EXPECT_EQ(e.counters().cancelled, 3);
  EXPECT_FALSE(e.cancel(ids[0]));
}

TEST(SamplesEngine, SamplesEndWithTheirPrefillWhenThePolicyCannotFitThePrompt) {
  Engine e(tiny_random_model(), config("odma", true, /*capacity=*/64));
  const std::vector<RequestId> ids = e.submit_samples(random_prompt(100, 15), greedy(4), 2);
  std::vector<RequestId> ended;
  for (int guard = 0; !e.idle() && guard < 100; ++guard) {
    const StepResult r = e.step();
    ended.insert(ended.end(), r.finished.begin(), r.finished.end());
  }
  ASSERT_TRUE(e.idle());
  EXPECT_EQ(ended, ids);  // the samples end, not the hidden prefill
  for (RequestId id : ids) {
    EXPECT_EQ(e.output(id).finish, FinishReason::kFailed);
    EXPECT_NE(e.output(id).error.find("cannot fit"), std::string::npos) << e.output(id).error;
  }
  EXPECT_EQ(e.counters().failed, 2);
}

TEST(SamplesEngine, RejectsAGroupOfNoSamplesAndBadRequestsWithoutATrace) {
  Engine e(tiny_random_model(), config("odma", true));
  EXPECT_THROW((void)e.submit_samples(random_prompt(5, 1), greedy(4), 0), Error);
  EXPECT_THROW((void)e.submit_samples({}, greedy(4), 2), Error);
  EXPECT_TRUE(e.idle());
  EXPECT_EQ(e.waiting(), 0u);
}

}  // namespace
}  // namespace odma::serve
