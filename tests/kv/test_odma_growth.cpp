// Growth past the reservation (GrowthRule): the conditioned rule moves a request that outgrew its
// reservation once, to the prediction's quantile of its length given the tokens it already
// produced; the next-bucket rule climbs one size class per overflow. And the conditional quantile
// itself (LengthDistribution::quantile_after), which both the predictor and the policy use.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "base/error.h"
#include "kv/policy.h"
#include "policy_table.h"

namespace odma::kv {
namespace {

using testing::Op;
using testing::run_table;
constexpr Op kAdmit = Op::kAdmit, kGrow = Op::kGrow;
constexpr Status kOk = Status::kOk, kMigrated = Status::kMigrated, kInPlace = Status::kGrewInPlace;

// Lengths 1-8 with probability 0.3, 65-128 with 0.7 (a short answer or a long one).
std::shared_ptr<const LengthDistribution> short_or_long() {
  return std::make_shared<const LengthDistribution>(LengthDistribution{
      std::make_shared<const std::vector<std::int32_t>>(std::vector<std::int32_t>{0, 8, 64, 128}),
      {0.3f, 0.0f, 0.7f}});
}

PolicyConfig config(GrowthRule rule) {
  PolicyConfig c;
  c.capacity_tokens = 256;
  c.granule = 16;
  c.max_model_len = 256;
  c.odma.buckets = 4;  // geometric size classes 16, 48, 96, 256 before any completion
  c.odma.safety_fraction_min = 0.0;
  c.odma.safety_fraction_max = 0.0;
  c.odma.growth = rule;
  return c;
}

TEST(LengthDistribution, QuantileAfterConditionsOnTheTokensAlreadyProduced) {
  const auto d = short_or_long();
  // Unconditioned: 30% of the mass ends by 8 tokens; the median lies in the long bin.
  EXPECT_EQ(d->quantile_after(0, 0.3), 8);
  EXPECT_EQ(d->quantile_after(0, 0.5), 64 + 19);  // (0.5 − 0.3) / 0.7 · 64 = 18.3 → 19
  // Past 8 tokens only the long answer is left: its median is the bin's middle.
  EXPECT_EQ(d->quantile_after(8, 0.5), 96);
  EXPECT_EQ(d->quantile_after(100, 0.5), 114);  // 28 lengths left, half of them: 14
  EXPECT_EQ(d->quantile_after(127, 0.99), 128);
  EXPECT_EQ(d->quantile_after(128, 0.5), std::nullopt);  // nothing is longer
  EXPECT_EQ(d->quantile_after(500, 0.5), std::nullopt);
}

// clang-format off
TEST(OdmaGrowth, TheConditionedRuleMovesOnceToWhereTheAnswerIsLikelyToEnd) {
  auto p = make_policy("odma", config(GrowthRule::kConditioned));
  ASSERT_EQ(p->bucket_edges(), (std::vector<std::int32_t>{16, 48, 96, 256})) << "the table assumes these";
  run_table(*p, {
    // 10 + 4 predicted → bucket 16; request 2 sits right behind it, so request 1 cannot grow in
    // place.
    {.op = kAdmit, .id = 1, .tokens = 10, .predicted = 4, .expect = kOk, .extents = {{0, 16}}, .distribution = short_or_long(), .coverage = 0.5},
    {.op = kAdmit, .id = 2, .tokens = 10, .predicted = 4, .expect = kOk, .extents = {{16, 16}}},
    // 17 slots: request 1 produced 7 tokens and goes on, so its length is > 7 (the long answer's
    // median is 96 once the short answers' last length, 8, is weighed in): 10 + 96 → 112 slots,
    // rounded to the granule (the bucket above, 256, would hold 144 slots it likely never uses).
    // One move.
    {.op = kGrow, .id = 1, .tokens = 17, .expect = kMigrated, .extents = {{32, 112}}, .copies = {{0, 32, 10}}},
    {.op = kGrow, .id = 1, .tokens = 106, .expect = kOk, .extents = {{32, 112}}},
  });
  EXPECT_EQ(p->counters().overflows, 1);
}

TEST(OdmaGrowth, TheNextBucketRuleClimbsOneSizeClassPerOverflow) {
  auto p = make_policy("odma", config(GrowthRule::kNextBucket));
  run_table(*p, {
    {.op = kAdmit, .id = 1, .tokens = 10, .predicted = 4, .expect = kOk, .extents = {{0, 16}}, .distribution = short_or_long(), .coverage = 0.5},
    {.op = kAdmit, .id = 2, .tokens = 10, .predicted = 4, .expect = kOk, .extents = {{16, 16}}},
    {.op = kGrow, .id = 1, .tokens = 17, .expect = kMigrated, .extents = {{32, 48}}, .copies = {{0, 32, 10}}},
    {.op = kGrow, .id = 1, .tokens = 49, .expect = kInPlace, .extents = {{32, 96}}},
    {.op = kGrow, .id = 1, .tokens = 97, .expect = kInPlace, .extents = {{32, 224}}},
  });
  EXPECT_EQ(p->counters().overflows, 3);
}

TEST(OdmaGrowth, GrowingInPlaceTakesOneSizeClassEvenWhenConditioned) {
  // Nothing behind request 1: it grows in place (no copy) to the next size class only, and can
  // grow again later; the conditioned size is for moves.
  auto p = make_policy("odma", config(GrowthRule::kConditioned));
  run_table(*p, {
    {.op = kAdmit, .id = 1, .tokens = 10, .predicted = 4, .expect = kOk, .extents = {{0, 16}}, .distribution = short_or_long(), .coverage = 0.5},
    {.op = kGrow, .id = 1, .tokens = 17, .expect = kInPlace, .extents = {{0, 48}}},
  });
}

TEST(OdmaGrowth, WithoutADistributionTheConditionedRuleIsTheNextBucket) {
  auto p = make_policy("odma", config(GrowthRule::kConditioned));
  run_table(*p, {
    {.op = kAdmit, .id = 1, .tokens = 10, .predicted = 4, .expect = kOk, .extents = {{0, 16}}},
    {.op = kAdmit, .id = 2, .tokens = 10, .predicted = 4, .expect = kOk, .extents = {{16, 16}}},
    {.op = kGrow, .id = 1, .tokens = 17, .expect = kMigrated, .extents = {{32, 48}}, .copies = {{0, 32, 10}}},
  });
}
// clang-format on

TEST(OdmaGrowth, RuleNamesParseAndPrint) {
  EXPECT_EQ(parse_growth_rule("conditioned"), GrowthRule::kConditioned);
  EXPECT_EQ(parse_growth_rule("next-bucket"), GrowthRule::kNextBucket);
  EXPECT_EQ(to_string(GrowthRule::kConditioned), "conditioned");
  EXPECT_THROW((void)parse_growth_rule("geometric"), Error);
}

}  // namespace
}  // namespace odma::kv
