// The end-to-end bench runner serves every request of a trace to its forced length under every
// policy, with the same KV budget, and reports consistent metrics.
#include <gtest/gtest.h>

#include "bench/e2e.h"
#include "bench/simulated.h"
#include "sim/device_profile.h"
#include "kv/policy.h"
#include "serve/serve_test_util.h"

namespace odma::bench {
namespace {

TEST(BenchE2e, EveryPolicyServesTheWholeTraceToItsForcedLengths) {
  E2eRun run;
  run.workload = "unit/offline";
  std::int64_t want_tokens = 0;
  for (int i = 0; i < 6; ++i) {
    const std::int32_t out = 5 + 7 * i;
    run.trace.requests.push_back({"r" + std::to_string(i), "", 3 + 5 * i, out, 0.0});
    run.predictions.push_back({out / 2, 0.3, out});  // under-predicted: contiguous ones overflow
    want_tokens += out;
  }
  run.capacity = 256;
  run.max_tokens = 64;
  run.max_model_len = 256;
  for (const std::string& policy : kv::policy_names()) {
    const E2eResult r = run_e2e(serve::testing::tiny_random_model(), run, policy);
    EXPECT_EQ(r.summary.completed, 6) << policy;
    EXPECT_EQ(r.summary.output_tokens, want_tokens) << policy;
    EXPECT_EQ(r.failed_requests, 0) << policy;
    EXPECT_GT(r.summary.tps, 0.0) << policy;
    EXPECT_GT(r.kv_utilization, 0.0) << policy;
    EXPECT_LE(r.kv_utilization, 1.0) << policy;
    EXPECT_LE(r.capacity_usage, r.kv_utilization) << policy;
    EXPECT_GE(r.summary.ttft_s.p99, r.summary.ttft_s.p50) << policy;
  }
}

// The quick bench's case: a short model length leaves room for fewer odma buckets than the
// default 16. The engine and the simulator build one kv::Session from the same run, so both
// serve it (before, the engine clamped the buckets and the simulator threw), with the same
// admission decisions.
TEST(BenchE2e, EngineAndSimulatorAcceptTheSameShortModelLength) {
  E2eRun run;
  run.workload = "short/offline";
  for (int i = 0; i < 4; ++i) {
    run.trace.requests.push_back({"r" + std::to_string(i), "", 20 + i, 30, 0.0});
    run.predictions.push_back({15, 0.2, 30});
  }
  run.capacity = 320;
  run.max_tokens = 64;
  run.max_model_len = 150;  // ⌊150 / 16⌋ = 9 buckets
  const E2eResult engine = run_e2e(serve::testing::tiny_random_model(), run, "odma");
  const sim::CostModel cost(sim::load_device_profile("cpu-local"),
                            engine_shape(serve::testing::tiny_random_model()->config(), "tiny"));
  const sim::SimResult simulated = simulate_e2e(run, "odma", cost);
  EXPECT_EQ(engine.summary.completed, 4);
  EXPECT_EQ(simulated.kv.completed, 4);
  EXPECT_EQ(engine.failed_requests, 0);
  EXPECT_EQ(simulated.kv.counters.failed_requests, 0);
  EXPECT_EQ(engine.migrations, simulated.kv.counters.migrations);
  EXPECT_EQ(engine.mean_batch, simulated.kv.mean_concurrency);
}

}  // namespace
}  // namespace odma::bench
