// WorkloadSpec: the shared --dataset/--mix/--drift/... flags and the trace they build.
#include <gtest/gtest.h>

#include "base/args.h"
#include "base/error.h"
#include "workload/workload.h"
#include "workload/workload_spec.h"

namespace odma::workload {
namespace {

WorkloadSpec spec_of(const std::vector<std::string>& argv) {
  return workload_spec_from_args(Args(argv));
}

TEST(WorkloadSpec, ParsesFlags) {
  const WorkloadSpec s = spec_of({"--mix", "alpaca:0.7,nq:0.3", "--count", "50", "--split", "val",
                                  "--limit", "20", "--arrival", "poisson:3", "--seed", "9"});
  EXPECT_EQ(s.mix, "alpaca:0.7,nq:0.3");
  EXPECT_EQ(s.count, 50u);
  EXPECT_EQ(s.split, "val");
  ASSERT_TRUE(s.limit.has_value());
  EXPECT_EQ(*s.limit, 20u);
  EXPECT_EQ(s.arrival, "poisson:3");
  EXPECT_EQ(s.seed, 9u);
  EXPECT_TRUE(workload_flag_names().count("drift"));
}

TEST(WorkloadSpec, RejectsInconsistentFlags) {
  const std::vector<std::vector<std::string>> bad = {
      {},                                        // no source
      {"--dataset", "nq", "--mix", "nq"},        // two sources
      {"--mix", "nq"},                           // no count
      {"--dataset", "nq", "--count", "5"},       // count with dataset
      {"--drift", "alpaca,nq", "--count", "0"},  // zero count
      {"--dataset", "nq", "--split", "dev"},     // bad split
      {"--dataset", "nq", "--limit", "-1"},      // negative limit
      {"--dataset", "nq", "--seed", "x"},        // bad seed
  };
  for (const auto& argv : bad) {
    std::string joined;
    for (const auto& a : argv) joined += a + " ";
    EXPECT_THROW((void)spec_of(argv), Error) << joined;
  }
  EXPECT_NO_THROW((void)workload_spec_from_args(Args({}), /*required=*/false));
}

TEST(WorkloadSpec, BuildsTheSameTraceAsTheParts) {
  const Trace built = build_workload(spec_of({"--mix", "nq:0.7,azure-code:0.3", "--count", "40",
                                              "--arrival", "poisson:3", "--seed", "9"}));
  Trace manual = make_mixture(parse_mixture("nq:0.7,azure-code:0.3"), 40, Split::kTest, 9);
  apply_poisson_arrivals(manual, 3.0, 9);
  ASSERT_EQ(built.requests.size(), manual.requests.size());
  for (std::size_t i = 0; i < built.requests.size(); ++i) {
    EXPECT_EQ(built.requests[i].id, manual.requests[i].id);
    EXPECT_EQ(built.requests[i].arrival_s, manual.requests[i].arrival_s);
  }
}

TEST(WorkloadSpec, DefaultsPerSource) {
  // Datasets default to the test split with arrivals at 0 ...
  const Trace nq = build_workload(spec_of({"--dataset", "nq", "--limit", "3"}));
  ASSERT_EQ(nq.requests.size(), 3u);
  EXPECT_EQ(nq.requests[0].id, "nq-9");
  // ... production traces to all rows with their own times.
  const Trace conv = build_workload(spec_of({"--dataset", "azure-conv", "--limit", "2"}));
  ASSERT_EQ(conv.requests.size(), 2u);
  EXPECT_EQ(conv.requests[1].id, "azure-conv-1");
  EXPECT_GT(conv.requests[1].arrival_s, 0.0);
  const Trace off =
      build_workload(spec_of({"--dataset", "azure-conv", "--limit", "2", "--arrival", "offline"}));
  EXPECT_EQ(off.requests[1].arrival_s, 0.0);
  EXPECT_THROW((void)build_workload(spec_of({"--drift", "alpaca", "--count", "4"})),
               Error);  // one phase
}

}  // namespace
}  // namespace odma::workload
