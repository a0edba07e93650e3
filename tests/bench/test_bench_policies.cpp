// The bench's policy names: paged-N sets the block size, /nocache turns prefix caching off and
// /conditioned gives odma the conditioned growth rule; --prefix-caching and --growth add the
// variants side by side.
#include <gtest/gtest.h>

#include "base/error.h"
#include "bench/e2e.h"
#include "bench/suite.h"

namespace odma::bench {
namespace {

TEST(BenchPolicies, SuffixesSetCachingGrowthAndBlockSize) {
  const BenchPolicy a = parse_bench_policy("odma/nocache/conditioned");
  EXPECT_EQ(a.policy, "odma");
  EXPECT_FALSE(a.prefix_caching);
  EXPECT_EQ(a.growth, kv::GrowthRule::kConditioned);
  const BenchPolicy b = parse_bench_policy("paged-64/nocache");
  EXPECT_EQ(b.policy, "paged");
  EXPECT_EQ(b.block_tokens, 64);
  EXPECT_FALSE(b.prefix_caching);
  EXPECT_EQ(b.growth, kv::GrowthRule::kNextBucket);
  const BenchPolicy c = parse_bench_policy("odma");
  EXPECT_TRUE(c.prefix_caching);
  EXPECT_EQ(c.growth, kv::GrowthRule::kNextBucket);
  EXPECT_THROW((void)parse_bench_policy("paged-x"), Error);
}

TEST(BenchPolicies, GrowthBothRunsOdmaWithEachRule) {
  SuiteOptions o;
  o.policies = {"static", "paged", "odma"};
  o.growth = "both";
  EXPECT_EQ(bench_policies(o),
            (std::vector<std::string>{"static", "paged", "odma", "odma/conditioned"}));
  o.prefix_caching = "both";
  EXPECT_EQ(bench_policies(o),
            (std::vector<std::string>{"static", "paged", "paged/nocache", "odma",
                                      "odma/conditioned", "odma/nocache",
                                      "odma/nocache/conditioned"}));
  o.growth = "conditioned";
  o.prefix_caching = "on";
  EXPECT_EQ(bench_policies(o), (std::vector<std::string>{"static", "paged", "odma/conditioned"}));
}

}  // namespace
}  // namespace odma::bench
