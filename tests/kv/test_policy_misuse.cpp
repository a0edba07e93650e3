// Misuse and bad configuration: every policy answers with an error status and changes nothing;
// make_policy rejects bad configurations with an odma::Error naming the field.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/error.h"
#include "kv/policy.h"
#include "policy_table.h"

namespace odma::kv {
namespace {

using ::testing::HasSubstr;
using testing::state_digest;

PolicyConfig config() {
  PolicyConfig c;
  c.capacity_tokens = 1024;
  c.granule = 16;
  c.max_model_len = 512;
  c.odma.buckets = 8;
  return c;
}

RequestSpec request(RequestId id, std::int32_t prompt = 40, std::int32_t max_output = 200) {
  RequestSpec s;
  s.id = id;
  s.prompt_tokens = prompt;
  s.max_output_tokens = max_output;
  s.prediction.output_tokens = 50;
  s.prediction.true_output_tokens = 50;
  return s;
}

class Misuse : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    policy = make_policy(GetParam(), config());
    ASSERT_EQ(policy->admit(request(1)).status, Status::kOk);
    ASSERT_EQ(policy->grow(1, 45).status, Status::kOk);
  }
  // Runs `call`, expects `want`, and checks that nothing observable changed.
  template <typename Call>
  void expect_unchanged(Status want, Call call) {
    const std::vector<RequestId> ids{1, 2, 99};
    const std::uint64_t before = state_digest(*policy, ids);
    const std::int64_t deferrals = policy->counters().deferrals;
    EXPECT_EQ(to_string(call()), to_string(want));
    EXPECT_EQ(state_digest(*policy, ids), before);
    EXPECT_EQ(policy->counters().deferrals, deferrals);
    EXPECT_EQ(policy->validate(), "");
  }
  std::unique_ptr<Policy> policy;
};

TEST_P(Misuse, UnknownIdsAreRejected) {
  expect_unchanged(Status::kUnknownRequest, [&] { return policy->grow(99, 50).status; });
  expect_unchanged(Status::kUnknownRequest, [&] { return policy->finish(99, 10); });
  expect_unchanged(Status::kUnknownRequest, [&] { return policy->release(99); });
  EXPECT_EQ(policy->allocation(99), nullptr);
}

TEST_P(Misuse, DuplicateAdmissionIsRejected) {
  expect_unchanged(Status::kDuplicateRequest, [&] { return policy->admit(request(1)).status; });
}

TEST_P(Misuse, DoubleReleaseAndDoubleFinishAreRejected) {
  ASSERT_EQ(policy->release(1), Status::kOk);
  expect_unchanged(Status::kUnknownRequest, [&] { return policy->release(1); });
  expect_unchanged(Status::kUnknownRequest, [&] { return policy->finish(1, 5); });
  ASSERT_EQ(policy->admit(request(2)).status, Status::kOk);
  ASSERT_EQ(policy->finish(2, 5), Status::kOk);
  expect_unchanged(Status::kUnknownRequest, [&] { return policy->finish(2, 5); });
  expect_unchanged(Status::kUnknownRequest, [&] { return policy->release(2); });
  const KvGauges g = policy->gauges();
  EXPECT_EQ(g.reserved, 0);
  EXPECT_EQ(g.free, g.capacity);
  EXPECT_EQ(g.largest_free, g.capacity);
}

TEST_P(Misuse, GrowthBelowUsedOrPastTheLimitsIsRejected) {
  expect_unchanged(Status::kInvalidArgument, [&] { return policy->grow(1, 44).status; });
  expect_unchanged(Status::kInvalidArgument, [&] { return policy->grow(1, -1).status; });
  expect_unchanged(Status::kExceedsModelLimit,
                   [&] { return policy->grow(1, 241).status; });  // cap 240
  expect_unchanged(Status::kExceedsModelLimit, [&] { return policy->grow(1, 513).status; });
  EXPECT_EQ(policy->grow(1, 45).status, Status::kOk);  // same length: a no-op
}

TEST_P(Misuse, BadRequestsAreRejected) {
  auto with = [](auto change) {
    RequestSpec s = request(2);
    change(s);
    return s;
  };
  const RequestSpec invalid[] = {
      with([](RequestSpec& s) { s.prompt_tokens = 0; }),
      with([](RequestSpec& s) { s.prompt_tokens = -5; }),
      with([](RequestSpec& s) { s.max_output_tokens = 0; }),
      with([](RequestSpec& s) { s.generated_before_preemption = -1; }),
      with([](RequestSpec& s) { s.generated_before_preemption = 200; }),  // = max_output
      with([](RequestSpec& s) { s.prediction.output_tokens = -1; }),
      with([](RequestSpec& s) { s.prediction.uncertainty = std::nan(""); }),
      with([](RequestSpec& s) { s.prediction.true_output_tokens = -2; }),
  };
  for (const RequestSpec& s : invalid) {
    expect_unchanged(Status::kInvalidArgument, [&] { return policy->admit(s).status; });
  }
  expect_unchanged(Status::kExceedsModelLimit,
                   [&] { return policy->admit(request(2, 400, 113)).status; });
  expect_unchanged(Status::kInvalidArgument, [&] { return policy->finish(1, -1); });
  expect_unchanged(Status::kInvalidArgument, [&] { return policy->finish(1, 201); });
}

TEST_P(Misuse, RequestsLargerThanTheArenaNeverFit) {
  PolicyConfig c = config();
  c.capacity_tokens = 512;
  c.max_model_len = 1024;
  if (GetParam() == "static") {
    EXPECT_THROW(make_policy("static", c), Error);  // static refuses such a config outright
    return;
  }
  auto p = make_policy(GetParam(), c);
  EXPECT_EQ(p->admit(request(1, 100, 420)).status, Status::kNeverFits);  // 520 → 528 slots
  EXPECT_EQ(p->admit(request(1, 100, 412)).status, Status::kOk);         // 512
  EXPECT_EQ(p->counters().admitted, 1);
  EXPECT_EQ(p->validate(), "");
}

INSTANTIATE_TEST_SUITE_P(AllPolicies, Misuse, ::testing::ValuesIn(policy_names()));

void expect_config_error(const std::string& policy, void (*change)(PolicyConfig&),
                         const std::string& field) {
  PolicyConfig c = config();
  change(c);
  try {
    (void)make_policy(policy, c);
    ADD_FAILURE() << policy << ": expected an error naming " << field;
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(field)) << policy;
  }
}

TEST(PolicyConfigCheck, BadConfigurationsNameTheField) {
  for (const std::string& name : policy_names()) {
    expect_config_error(
        name, [](PolicyConfig& c) { c.capacity_tokens = 0; }, "capacity_tokens");
    expect_config_error(
        name, [](PolicyConfig& c) { c.capacity_tokens = -16; }, "capacity_tokens");
    expect_config_error(
        name, [](PolicyConfig& c) { c.granule = 0; }, "granule");
    expect_config_error(
        name, [](PolicyConfig& c) { c.max_model_len = 0; }, "max_model_len");
    expect_config_error(
        name, [](PolicyConfig& c) { c.capacity_tokens = 8; }, "capacity_tokens");
  }
  expect_config_error(
      "paged", [](PolicyConfig& c) { c.block_tokens = 24; }, "block_tokens");
  expect_config_error(
      "paged", [](PolicyConfig& c) { c.block_tokens = 0; }, "block_tokens");
  expect_config_error(
      "paged", [](PolicyConfig& c) { c.paged_watermark = 1.0; }, "paged_watermark");
  expect_config_error(
      "s3", [](PolicyConfig& c) { c.s3_buckets = 0; }, "s3_buckets");
  expect_config_error(
      "s3", [](PolicyConfig& c) { c.s3_max_output = 5; }, "s3_buckets");
  expect_config_error(
      "static", [](PolicyConfig& c) { c.capacity_tokens = 500; }, "capacity_tokens");
  expect_config_error(
      "odma", [](PolicyConfig& c) { c.odma.buckets = 33; }, "odma.buckets");  // 512/16
  expect_config_error(
      "odma", [](PolicyConfig& c) { c.odma.buckets = 0; }, "odma.buckets");
  expect_config_error(
      "odma", [](PolicyConfig& c) { c.odma.safety_fraction_max = 0.01; },
      "odma.safety_fraction_max");
  expect_config_error(
      "odma", [](PolicyConfig& c) { c.odma.safety_fraction_min = -0.1; },
      "odma.safety_fraction_min");
  expect_config_error(
      "odma", [](PolicyConfig& c) { c.odma.max_extents = 0; }, "odma.max_extents");
  expect_config_error(
      "odma", [](PolicyConfig& c) { c.odma.recalibrate_every = 0; }, "odma.recalibrate_every");
  expect_config_error(
      "odma", [](PolicyConfig& c) { c.odma.compaction_max_moves = -1; },
      "odma.compaction_max_moves");
  EXPECT_THROW(make_policy("lru", config()), Error);
}

TEST(PolicyConfigCheck, NamesAndBasicProperties) {
  EXPECT_EQ(policy_names(), (std::vector<std::string>{"static", "paged", "s3", "odma", "oracle"}));
  for (const std::string& name : policy_names()) {
    auto p = make_policy(name, config());
    EXPECT_EQ(p->name(), name);
    EXPECT_EQ(p->contiguous(), name != "paged");
    const KvGauges g = p->gauges();
    EXPECT_EQ(g.capacity, 1024);
    EXPECT_EQ(g.free, 1024);
    EXPECT_EQ(g.fragmentation(), 0.0);
    EXPECT_EQ(p->validate(), "");
  }
  PolicyConfig c = config();
  c.capacity_tokens = 1000;  // rounded down to the granule
  EXPECT_EQ(make_policy("odma", c)->gauges().capacity, 992);
}

}  // namespace
}  // namespace odma::kv
