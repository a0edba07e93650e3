// The engine reproduces the shipped reference models exactly, alone and inside mixed batches,
// under every KV policy — including runs where the arena is small enough that odma and s3 must
// migrate or preempt mid-generation.
#include <gtest/gtest.h>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "kv/policy.h"
#include "serve_test_util.h"
#include "tokenizer/tokenizer.h"

namespace odma::serve {
namespace {

using testing::engine_config;
using testing::greedy;
using testing::Job;
using testing::model_dir;
using testing::run_all;
using testing::run_one_by_one;
using testing::sampled;
using testing::shipped_model;

struct Stories {
  std::int32_t bos = 0;
  std::vector<std::int32_t> want;  // 256 greedy ids after BOS
};

Stories stories_reference() {
  auto ref = nlohmann::json::parse(read_file(model_dir("stories260K-hf") / "reference.json"));
  return {ref["bos_id"].get<std::int32_t>(),
          ref["greedy_ids_after_bos"].get<std::vector<std::int32_t>>()};
}

TEST(EngineReference, Stories260KGreedyFromBosAlone) {
  const Stories s = stories_reference();
  ASSERT_EQ(s.want.size(), 256u);
  for (const std::string& policy : kv::policy_names()) {
    Engine e(shipped_model("stories260K-hf"), engine_config(policy, 512, 512));
    // ignore_eos off: the reference never says EOS, so the engine must run all 256 steps itself.
    RequestOutput o = run_all(e, {{{s.bos}, greedy(256, /*ignore_eos=*/false)}}).front();
    EXPECT_EQ(o.output_ids, s.want) << policy;
    EXPECT_EQ(o.finish, FinishReason::kLength) << policy;
  }
}

// BOS → 256 greedy ids under-predicted at 16 tokens, among mixed requests (greedy and sampled,
// short and long prompts) in an arena of 640 slots: odma has to grow/migrate (or preempt) and s3
// preempts at each bucket edge, yet every token matches.
TEST(EngineReference, Stories260KGreedyInsideMixedBatchUnderEveryPolicy) {
  const Stories s = stories_reference();
  auto tok = tokenizer::Tokenizer::load(model_dir("stories260K-hf"));
  std::vector<Job> jobs;
  Job bos{{s.bos}, greedy(256, false)};
  bos.params.prediction = kv::LengthPrediction{16, 0.0, 256, nullptr, 0.0};
  jobs.push_back(bos);
  const char* texts[] = {"Once upon a time, there was a dog", "The cat sat on the mat and",
                         "Tom and Sue went to the park. They", "A little bird"};
  for (int i = 0; i < 4; ++i) {
    Job j{tok.encode(texts[i], true),
          i % 2 == 0 ? greedy(40 + 30 * i) : sampled(40 + 30 * i, 7 + i)};
    j.params.prediction = kv::LengthPrediction{20, 0.2, 40 + 30 * i, nullptr, 0.0};
    jobs.push_back(j);
  }
  const auto solo = run_one_by_one(shipped_model("stories260K-hf"), jobs, 512);
  ASSERT_EQ(solo[0].output_ids, s.want);

  for (const std::string& policy : kv::policy_names()) {
    EngineConfig c = engine_config(policy, 640, 512);
    c.kv.s3_max_output =
        256;  // S3's 10 buckets of 25.6 tokens: the 256-token run overflows them all
    Engine e(shipped_model("stories260K-hf"), c);
    const auto got = run_all(e, jobs);
    EXPECT_EQ(got[0].output_ids, s.want) << policy;
    for (std::size_t i = 1; i < jobs.size(); ++i) {
      EXPECT_EQ(got[i].output_ids, solo[i].output_ids) << policy << " request " << i;
    }
    const kv::KvCounters k = e.policy().counters();
    std::printf("  %-6s migrations %lld, preemptions %lld, grow-in-place %lld\n", policy.c_str(),
                static_cast<long long>(k.migrations), static_cast<long long>(k.preemptions),
                static_cast<long long>(k.grow_in_place));
    if (policy == "odma" || policy == "s3") {
      EXPECT_GT(k.migrations + k.preemptions, 0) << policy << ": the run must overflow";
    }
    if (policy == "s3") {
      EXPECT_GT(got[0].preemptions, 0);
    }
    EXPECT_EQ(k.failed_requests, 0) << policy;
    const kv::KvGauges g = e.policy().gauges();
    EXPECT_EQ(g.reserved, 0) << policy;
    EXPECT_EQ(g.live_requests, 0) << policy;
    EXPECT_EQ(e.policy().validate(), "") << policy;
  }
}

TEST(EngineReference, Qwen2TinyEveryContinuationAloneAndBatched) {
  auto ref = nlohmann::json::parse(read_file(model_dir("qwen2-tiny") / "reference.json"));
  ASSERT_EQ(ref["cases"].size(), 4u);
  std::vector<Job> jobs;
  std::vector<std::vector<std::int32_t>> want;
  for (const auto& c : ref["cases"]) {
    want.push_back(c["greedy_ids"].get<std::vector<std::int32_t>>());
    jobs.push_back({c["prompt_ids"].get<std::vector<std::int32_t>>(),
                    greedy(static_cast<int>(want.back().size()))});
  }
  for (const std::string& policy : kv::policy_names()) {
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      Engine alone(shipped_model("qwen2-tiny"), engine_config(policy, 4096, 4096));
      EXPECT_EQ(run_all(alone, {jobs[i]}).front().output_ids, want[i]) << policy << " case " << i;
    }
    Engine batched(shipped_model("qwen2-tiny"), engine_config(policy, 4096, 4096));
    const auto got = run_all(batched, jobs);
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      EXPECT_EQ(got[i].output_ids, want[i]) << policy << " batched case " << i;
    }
  }
}

}  // namespace
}  // namespace odma::serve
