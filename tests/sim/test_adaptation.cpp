// Online replay: a learning predictor asked at admission and fed every completion adapts to a
// drift; the adaptation report's window arithmetic.
#include <gtest/gtest.h>

#include "base/error.h"
#include "predict/predictor_source.h"
#include "sim/adaptation.h"
#include "workload/workload.h"

namespace odma::sim {
namespace {

ReplayOptions options() {
  ReplayOptions o;
  o.session.kv.capacity_tokens = 131072;
  o.session.kv.max_model_len = 4096;
  o.session.max_output_tokens = 2048;
  return o;
}

TEST(Adaptation, WindowStatsAreDifferencesOfRunningTotals) {
  ReplayResult r;
  // 4 completions: |pred − actual| = 2, 0, 10, 4; held 20, 10, 40, 10 for final 10, 10, 20, 10.
  r.records = {{0, 12, 10, 10, 20, 1, 0, 1, 0},
               {1, 5, 5, 10, 10, 1, 0, 1, 0},
               {2, 30, 20, 20, 40, 4, 1, 3, 0},
               {3, 6, 10, 10, 10, 6, 2, 4, 1}};
  const std::vector<WindowStats> w = window_stats(r, 2);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].first, 0);
  EXPECT_DOUBLE_EQ(w[0].mae, 1.0);
  EXPECT_DOUBLE_EQ(w[0].reservation_efficiency, 20.0 / 30);
  EXPECT_DOUBLE_EQ(w[0].migrations_per_request, 0.5);  // total 1 after the second completion
  EXPECT_DOUBLE_EQ(w[1].mae, 7.0);
  EXPECT_DOUBLE_EQ(w[1].reservation_efficiency, 30.0 / 50);
  EXPECT_DOUBLE_EQ(w[1].migrations_per_request, (4 - 1) / 2.0);
  EXPECT_DOUBLE_EQ(w[1].overflows_per_request, (6 - 1) / 2.0);
  EXPECT_DOUBLE_EQ(w[1].grow_in_place_per_request, 1.0);
  EXPECT_EQ(w[1].failed, 1);
  // Settled: ids >= 2 are the new distribution; skip the first of them.
  const WindowStats s = settled_stats(r, 2, 1);
  EXPECT_EQ(s.first, 3);
  EXPECT_EQ(s.count, 1);
  EXPECT_DOUBLE_EQ(s.mae, 4.0);
  EXPECT_THROW((void)window_stats(r, 0), Error);
}

TEST(Adaptation, DriftPhasesStartWhereTheDriftPutsThem) {
  EXPECT_EQ(workload::drift_phase_starts(2, 6000), (std::vector<std::size_t>{0, 3000}));
  EXPECT_EQ(workload::drift_phase_starts(3, 10), (std::vector<std::size_t>{0, 4, 7}));
  const workload::Trace t = workload::make_drift({"alpaca", "nq"}, 10, workload::Split::kTest, 3);
  for (std::size_t i = 0; i < t.requests.size(); ++i)
    EXPECT_EQ(t.requests[i].id.rfind(i < 5 ? "alpaca-" : "nq-", 0), 0u) << t.requests[i].id;
}

// Alpaca reference lengths, then the (about twice as long) Vicuna-7B lengths: the online replay
// predicts better in the new phase than predictions fixed before the run, and is deterministic.
TEST(Adaptation, OnlineLearningFollowsADriftAndRepeatsExactly) {
  const std::size_t n = 3000;  // not scaled: adaptation needs a few hundred completions to show
  const workload::Trace t =
      workload::make_drift({"alpaca", "alpaca-vicuna"}, n, workload::Split::kTest, 1);
  const kv::RequestId new_from = workload::drift_phase_starts(2, n).back();
  const auto runs = run_adaptation(t, "bundled@0.5", 1, options(), 250, new_from, n / 6);
  ASSERT_EQ(runs.size(), 3u);
  const WindowStats& offline = runs[0].settled;
  const WindowStats& online = runs[1].settled;
  const WindowStats& oracle = runs[2].settled;
  EXPECT_GT(online.count, 0);
  EXPECT_LT(online.mae, 0.85 * offline.mae);
  EXPECT_LT(online.migrations_per_request, 0.7 * offline.migrations_per_request);
  EXPECT_EQ(oracle.mae, 0.0);
  EXPECT_EQ(oracle.migrations_per_request, 0.0);
  for (const AdaptationRun& r : runs) EXPECT_EQ(r.result.counters.failed_requests, 0) << r.label;
  // Same seed, same trace: the same decisions (the learning is deterministic too).
  auto source = predict::make_predictor_source("bundled@0.5", 1);
  const ReplayResult again = replay(t, *source, "odma", options());
  EXPECT_EQ(again.counters.migrations, runs[1].result.counters.migrations);
  EXPECT_EQ(again.reservation_efficiency, runs[1].result.reservation_efficiency);
}

}  // namespace
}  // namespace odma::sim
