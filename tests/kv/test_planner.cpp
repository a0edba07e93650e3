// Iteration-table tests of the step planner: per step, which requests run, at which positions,
// and what admission / overflow does. Policies are the real ones (oracle, static, s3).
#include "kv/planner.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "planner_table.h"

namespace odma::kv {
namespace {

RequestSpec spec(RequestId id, std::int32_t prompt, std::int32_t predicted, std::int32_t truth,
                 std::int32_t cap = 256) {
  RequestSpec s;
  s.id = id;
  s.prompt_tokens = prompt;
  s.max_output_tokens = cap;
  s.prediction.output_tokens = predicted;
  s.prediction.true_output_tokens = truth;
  return s;
}

PolicyConfig config(std::int64_t capacity, std::int32_t max_model_len = 512) {
  PolicyConfig c;
  c.capacity_tokens = capacity;
  c.granule = 16;
  c.max_model_len = max_model_len;
  c.s3_max_output = 256;
  return c;
}

using testing::expect_items;

constexpr WorkKind P = WorkKind::kPrefill;
constexpr WorkKind D = WorkKind::kDecode;

TEST(Planner, OneRequestPrefillThenDecodesUntilFinished) {
  auto policy = make_policy("oracle", config(1024));
  StepPlanner planner(*policy, PlannerConfig{});
  planner.submit(spec(1, 4, 3, 3));
  // step 1: prefill positions [0,4) and sample token 1.
  StepPlan s1 = planner.plan_step();
  EXPECT_EQ(s1.admitted, std::vector<RequestId>{1});
  expect_items(s1, {{1, P, 0, 4, true}}, 1);
  EXPECT_TRUE(planner.commit_step({}).empty());
  EXPECT_EQ(planner.generated(1), 1);
  // step 2: feed token 1 at position 4, sample token 2.
  expect_items(planner.plan_step(), {{1, D, 4, 1, true}}, 2);
  EXPECT_TRUE(planner.commit_step({}).empty());
  // step 3: position 5, sample token 3 — the caller says it is the last.
  expect_items(planner.plan_step(), {{1, D, 5, 1, true}}, 3);
  std::vector<RequestId> fin{1};
  auto done = planner.commit_step(fin);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].output_tokens, 3);
  EXPECT_EQ(done[0].final_tokens, 7);
  EXPECT_EQ(done[0].held_slots, 16);  // 4 + 3 rounded up to the 16-slot granule
  EXPECT_TRUE(planner.done());
  EXPECT_EQ(policy->gauges().reserved, 0);
  EXPECT_EQ(policy->validate(), "");
}

TEST(Planner, ChunkedPrefillSamplesOnlyOnTheLastChunk) {
  auto policy = make_policy("oracle", config(1024));
  PlannerConfig pc;
  pc.prefill_chunk_tokens = 4;
  StepPlanner planner(*policy, pc);
  planner.submit(spec(7, 10, 2, 2));
  expect_items(planner.plan_step(), {{7, P, 0, 4, false}}, 1);
  (void)planner.commit_step({});
  expect_items(planner.plan_step(), {{7, P, 4, 4, false}}, 2);
  (void)planner.commit_step({});
  expect_items(planner.plan_step(), {{7, P, 8, 2, true}}, 3);
  (void)planner.commit_step({});
  EXPECT_EQ(planner.generated(7), 1);
  expect_items(planner.plan_step(), {{7, D, 10, 1, true}}, 4);
  // Reaching max_output_tokens stops a request even if the caller does not say so.
  (void)planner.commit_step({});
  EXPECT_EQ(planner.generated(7), 2);
}

TEST(Planner, DecodesGoFirstAndTheTokenBudgetCapsAStep) {
  auto policy = make_policy("oracle", config(4096));
  PlannerConfig pc;
  pc.step_token_budget = 6;
  StepPlanner planner(*policy, pc);
  planner.submit(spec(1, 3, 5, 5));
  planner.submit(spec(2, 3, 5, 5));
  planner.submit(spec(3, 3, 5, 5));
  // 6 tokens: prefills of 1 and 2 (3 each); 3 waits in the queue.
  StepPlan s1 = planner.plan_step();
  expect_items(s1, {{1, P, 0, 3, true}, {2, P, 0, 3, true}}, 1);
  EXPECT_EQ(planner.waiting(), 1u);
  (void)planner.commit_step({});
  // Then both decode (2 tokens) before request 3 prefills with the 4 left.
  expect_items(planner.plan_step(), {{1, D, 3, 1, true}, {2, D, 3, 1, true}, {3, P, 0, 3, true}},
               2);
}

TEST(Planner, AdmissionWaitsForMemoryInArrivalOrder) {
  // Static reserves prompt + cap = 16 + 48 → 64 slots; the arena holds two such requests.
  auto policy = make_policy("static", config(128, 64));
  StepPlanner planner(*policy, PlannerConfig{});
  for (RequestId id = 1; id <= 3; ++id) planner.submit(spec(id, 16, 4, 2, 48));
  StepPlan s1 = planner.plan_step();
  EXPECT_EQ(s1.admitted, (std::vector<RequestId>{1, 2}));
  EXPECT_EQ(planner.waiting(), 1u);
  (void)planner.commit_step({});
  std::vector<RequestId> both{1, 2};
  (void)planner.plan_step();
  EXPECT_EQ(planner.commit_step(both).size(), 2u);
  StepPlan s3 = planner.plan_step();
  EXPECT_EQ(s3.admitted, std::vector<RequestId>{3});
  EXPECT_EQ(policy->validate(), "");
}

TEST(Planner, S3OverflowPreemptsAndRecomputesWithoutLosingTokens) {
  // S3 buckets of width 25.6 over 256: a prediction of 10 reserves prompt + 25.6 → bucket edge.
  auto policy = make_policy("s3", config(4096));
  StepPlanner planner(*policy, PlannerConfig{});
  const std::int32_t truth = 60;
  planner.submit(spec(1, 8, 10, truth));
  std::int64_t steps = 0;
  bool saw_preemption = false, saw_recompute = false;
  while (!planner.done()) {
    StepPlan plan = planner.plan_step();
    ASSERT_EQ(policy->validate(), "");
    if (!plan.preempted.empty()) saw_preemption = true;
    for (const WorkItem& w : plan.items) {
      // A recompute prefill re-reads prompt + generated − 1 positions and samples nothing.
      if (w.kind == WorkKind::kPrefill && !w.emits_token) {
        saw_recompute = true;
        EXPECT_EQ(w.start_pos + w.n_tokens, 8 + planner.generated(1) - 1);
      }
    }
    std::vector<RequestId> fin;
    for (const WorkItem& w : plan.items) {
      if (w.emits_token && planner.generated(w.id) + 1 == truth) fin.push_back(w.id);
    }
    auto done = planner.commit_step(fin);
    if (!done.empty()) {
      EXPECT_EQ(done[0].output_tokens, truth);
    }
    ASSERT_LT(++steps, 1000);
  }
  EXPECT_TRUE(saw_preemption);
  EXPECT_TRUE(saw_recompute);
  EXPECT_GE(planner.preemptions(), 1);
  EXPECT_EQ(policy->gauges().reserved, 0);
}

TEST(Planner, CancelFreesMemoryWhereverTheRequestIs) {
  auto policy = make_policy("static", config(128, 64));
  StepPlanner planner(*policy, PlannerConfig{});
  for (RequestId id = 1; id <= 3; ++id) planner.submit(spec(id, 16, 4, 2, 48));
  (void)planner.plan_step();
  EXPECT_TRUE(planner.cancel(3));  // waiting
  EXPECT_TRUE(planner.cancel(1));  // running, mid-step
  EXPECT_FALSE(planner.cancel(1));
  EXPECT_TRUE(planner.commit_step({}).empty());
  EXPECT_EQ(policy->gauges().live_requests, 1);
  EXPECT_EQ(policy->validate(), "");
}

TEST(Planner, ARequestThatCanNeverFitFailsAndOthersGoOn) {
  auto policy = make_policy("oracle", config(64));
  StepPlanner planner(*policy, PlannerConfig{});
  planner.submit(spec(1, 200, 10, 10, 300));  // 210 slots > 64
  planner.submit(spec(2, 4, 2, 2, 32));
  StepPlan s1 = planner.plan_step();
  EXPECT_EQ(s1.failed, std::vector<RequestId>{1});
  EXPECT_EQ(s1.admitted, std::vector<RequestId>{2});
  EXPECT_EQ(planner.failed(), 1);
}

TEST(Planner, RejectsBadConfigAndDuplicates) {
  auto policy = make_policy("oracle", config(64));
  PlannerConfig bad;
  bad.max_batch = 0;
  EXPECT_ANY_THROW(StepPlanner(*policy, bad));
  StepPlanner planner(*policy, PlannerConfig{});
  planner.submit(spec(1, 4, 2, 2));
  EXPECT_ANY_THROW(planner.submit(spec(1, 4, 2, 2)));
}

}  // namespace
}  // namespace odma::kv

namespace odma::kv {
namespace {

// Regression: paged admits a preempted request with its prompt's blocks only; its recompute then
// needs more, and a failed growth must end this step's admission rather than loop forever.
TEST(Planner, PreemptedRecomputeThatCannotGrowEndsTheStep) {
  PolicyConfig c = config(96, 96);
  c.paged_watermark = 0;
  auto policy = make_policy("paged", c);
  StepPlanner planner(*policy, PlannerConfig{});
  planner.submit(spec(1, 16, 8, 60, 70));
  planner.submit(spec(2, 16, 8, 60, 70));
  std::int64_t steps = 0;
  while (!planner.done() && steps < 2000) {
    StepPlan plan = planner.plan_step();
    ASSERT_EQ(policy->validate(), "");
    std::vector<RequestId> fin;
    for (const WorkItem& w : plan.items) {
      if (w.emits_token && planner.generated(w.id) + 1 == 60) fin.push_back(w.id);
    }
    (void)planner.commit_step(fin);
    ++steps;
  }
  EXPECT_TRUE(planner.done());
  EXPECT_GE(planner.preemptions(), 1);
  EXPECT_EQ(planner.failed(), 0);
}

}  // namespace
}  // namespace odma::kv
