// Iteration tables for the planner's preemption rule (vLLM's scheduler): when the policy answers a
// growth with kNoRoom, the newest running request is preempted, its work this step is dropped, it
// goes to the front of the waiting queue, and the growth is retried. The policy is a real one
// (static, room for everything) behind a wrapper that answers kNoRoom for one starved request
// until a given number of preemptions has freed "room", so each table names its victims exactly.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "kv/planner.h"
#include "planner_table.h"

namespace odma::kv {
namespace {

class StarvedPolicy final : public Policy {
 public:
  explicit StarvedPolicy(std::unique_ptr<Policy> inner) : inner_(std::move(inner)) {}
  // `id`'s growths answer kNoRoom until `preemptions` more requests have been preempted.
  void starve(RequestId id, std::int64_t preemptions) {
    starved_ = id;
    room_at_ = preempted_ + preemptions;
  }
  std::int64_t preempted() const { return preempted_; }

  std::string name() const override { return "starved-" + inner_->name(); }
  AdmitResult admit(const RequestSpec& spec) override { return inner_->admit(spec); }
  GrowResult grow(RequestId id, std::int64_t total_tokens) override {
    if (id == starved_ && preempted_ < room_at_) return {Status::kNoRoom, {}};
    return inner_->grow(id, total_tokens);
  }
  Status finish(RequestId id, std::int32_t output_tokens) override {
    return inner_->finish(id, output_tokens);
  }
  Status release(RequestId id) override { return inner_->release(id); }
  Status preempt(RequestId id) override {
    ++preempted_;
    return inner_->preempt(id);
  }
  const Allocation* allocation(RequestId id) const override { return inner_->allocation(id); }
  KvCounters counters() const override { return inner_->counters(); }
  KvGauges gauges() const override { return inner_->gauges(); }
  bool contiguous() const override { return true; }
  std::string validate() const override { return inner_->validate(); }

 private:
  std::unique_ptr<Policy> inner_;
  RequestId starved_ = 0;
  std::int64_t room_at_ = 0;
  std::int64_t preempted_ = 0;
};

RequestSpec spec(RequestId id, std::int32_t prompt) {
  RequestSpec s;
  s.id = id;
  s.prompt_tokens = prompt;
  s.max_output_tokens = 100;
  s.prediction.output_tokens = 100;
  return s;
}

StarvedPolicy starved_static() {
  PolicyConfig c;
  c.capacity_tokens = 4096;
  c.granule = 16;
  c.max_model_len = 256;
  return StarvedPolicy(make_policy("static", c));
}

using testing::expect_items;

constexpr WorkKind kPrefill = WorkKind::kPrefill, kDecode = WorkKind::kDecode;

TEST(PlannerPreemption, TheNewestRunningRequestsAreTheVictimsAndResumeOldestFirst) {
  StarvedPolicy policy = starved_static();
  StepPlanner planner(policy, PlannerConfig{});
  for (RequestId id = 1; id <= 4; ++id) planner.submit(spec(id, 8));
  // Step 1: all four are admitted and prefilled; each samples its first token.
  StepPlan s1 = planner.plan_step();
  EXPECT_EQ(s1.admitted, (std::vector<RequestId>{1, 2, 3, 4}));
  (void)planner.commit_step({});
  // Step 2: request 2's growth finds no room until two requests are gone. The victims are the
  // newest, 4 then 3 (not 2 itself, not the oldest); 1 and 2 decode. 3 and 4 go back to the
  // front of the queue as 3, 4 and, room being plentiful, resume at once in that order with a
  // recompute of their 8 prompt tokens (their first output token is fed by the next decode).
  policy.starve(2, 2);
  StepPlan s2 = planner.plan_step();
  EXPECT_EQ(s2.preempted, (std::vector<RequestId>{4, 3}));
  EXPECT_EQ(s2.admitted, (std::vector<RequestId>{3, 4}));
  expect_items(s2, {{1, kDecode, 8, 1, true},
                    {2, kDecode, 8, 1, true},
                    {3, kPrefill, 0, 8, false},
                    {4, kPrefill, 0, 8, false}});
  EXPECT_EQ(planner.preemptions(), 2);
  EXPECT_EQ(policy.counters().preemptions, 2);
  EXPECT_EQ(policy.validate(), "");
  (void)planner.commit_step({});
  // Step 3: everyone decodes again, in the order they now run: 1, 2, 3, 4.
  StepPlan s3 = planner.plan_step();
  expect_items(s3, {{1, kDecode, 9, 1, true},
                    {2, kDecode, 9, 1, true},
                    {3, kDecode, 8, 1, true},
                    {4, kDecode, 8, 1, true}});
}

TEST(PlannerPreemption, TheStarvedRequestIsItsOwnVictimWhenItIsTheNewest) {
  StarvedPolicy policy = starved_static();
  PlannerConfig pc;
  pc.max_batch = 2;  // request 3 waits, so it is not running and cannot be chosen
  StepPlanner planner(policy, pc);
  for (RequestId id = 1; id <= 3; ++id) planner.submit(spec(id, 8));
  (void)planner.plan_step();
  (void)planner.commit_step({});
  policy.starve(2, 5);  // more room than one preemption frees: 2 gives itself up
  StepPlan s2 = planner.plan_step();
  EXPECT_EQ(s2.preempted, (std::vector<RequestId>{2}));
  // 2 went to the front of the queue, ahead of 3, which waited longer but never ran.
  EXPECT_EQ(s2.admitted, (std::vector<RequestId>{2}));
  expect_items(s2, {{1, kDecode, 8, 1, true}, {2, kPrefill, 0, 8, false}});
  EXPECT_EQ(planner.preemptions(), 1);
}

TEST(PlannerPreemption, AVictimAlreadyScheduledThisStepLosesItsWork) {
  StarvedPolicy policy = starved_static();
  PlannerConfig pc;
  pc.prefill_chunk_tokens = 4;
  StepPlanner planner(policy, pc);
  planner.submit(spec(1, 8));
  // Request 1 prefills (two chunks) and decodes until it has 5 output tokens.
  while (planner.generated(1) < 5) {
    (void)planner.plan_step();
    (void)planner.commit_step({});
  }
  // 1 is alone, so its starved decode preempts itself; it is re-admitted at once and starts
  // recomputing its 8 + 5 − 1 = 12 context tokens in chunks of 4. Request 2 is admitted after it.
  policy.starve(1, 1);
  planner.submit(spec(2, 2));
  StepPlan a = planner.plan_step();
  EXPECT_EQ(a.preempted, (std::vector<RequestId>{1}));
  EXPECT_EQ(a.admitted, (std::vector<RequestId>{1, 2}));
  expect_items(a, {{1, kPrefill, 0, 4, false}, {2, kPrefill, 0, 2, true}});
  (void)planner.commit_step({});
  StepPlan b = planner.plan_step();  // within 1's prompt: no growth
  expect_items(b, {{2, kDecode, 2, 1, true}, {1, kPrefill, 4, 4, false}});
  (void)planner.commit_step({});
  // 1's chunk [8, 12) goes past its prompt and finds no room: the newest running request, 2, is
  // preempted although its decode was planned earlier in this step. That decode is dropped (its
  // token goes back to the budget), and 2 resumes in the same step with a recompute of 2 + 2 − 1.
  policy.starve(1, 1);
  StepPlan c = planner.plan_step();
  EXPECT_EQ(c.preempted, (std::vector<RequestId>{2}));
  expect_items(c, {{1, kPrefill, 8, 4, false}, {2, kPrefill, 0, 3, false}});
  EXPECT_EQ(policy.validate(), "");
  (void)planner.commit_step({});
  EXPECT_EQ(planner.generated(2), 2);  // the dropped decode sampled nothing
  EXPECT_EQ(planner.preemptions(), 2);
}

}  // namespace
}  // namespace odma::kv
