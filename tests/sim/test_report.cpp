#include <gtest/gtest.h>

#include "predict/predictor_source.h"
#include "sim/report.h"
#include "sim/simulator.h"
#include "test_scale.h"
#include "workload/workload.h"

namespace odma::sim {
namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// One drift run (short Alpaca answers, then long NQ answers) through static and odma.
const WorkloadRun& drift_run() {
  static const WorkloadRun run = [] {
    const auto n = static_cast<std::size_t>(odma::testing::scaled(3000, 600));
    workload::Trace t = workload::make_drift({"alpaca", "nq"}, n, std::nullopt, 11);
    auto source = predict::make_predictor_source("oracle", 1);
    std::vector<kv::LengthPrediction> pred;
    for (const auto& r : t.requests) pred.push_back(source->predict(r, 2048));
    CostModel cm(load_device_profile("mlu370-x4"), load_model_shape("r1-7b-shape"));
    SimOptions o;
    o.session.kv.capacity_tokens = 60000;
    o.session.kv.max_model_len = 8192;
    o.session.max_output_tokens = 2048;
    o.session.kv.odma.recalibrate_every = 64;
    o.sample_every = 4;
    WorkloadRun w{"drift", "mlu370-x4", "r1-7b-shape", static_cast<std::int64_t>(n), 60000, {}};
    for (const char* p : {"static", "odma"}) w.results.push_back(simulate(t, pred, p, cm, o));
    return w;
  }();
  return run;
}

TEST(Report, JsonCarriesTheRequiredFieldsAndRatios) {
  const WorkloadRun& run = drift_run();
  nlohmann::json j = results_json({run});
  ASSERT_EQ(j["results"].size(), 2u);
  for (const auto& r : j["results"]) {
    for (const char* f : {"workload", "device", "policy", "kv_utilization", "capacity_usage",
                          "reservation_efficiency", "tps", "rps", "ttft_p99_s", "tpot_p99_s",
                          "migrations", "preemptions", "failed_requests"}) {
      EXPECT_TRUE(r.contains(f)) << f;
    }
    EXPECT_EQ(r["failed_requests"], 0);
  }
  const auto& odma = j["results"][1];
  EXPECT_EQ(odma["policy"], "odma");
  EXPECT_DOUBLE_EQ(odma["tps_vs_static"].get<double>(), run.results[1].tps / run.results[0].tps);
  EXPECT_FALSE(odma.contains("tps_vs_paged"));  // no paged run to compare with
  const std::string table = results_table(run);
  EXPECT_EQ(count(table, "\n"), 4u);  // header, rule, two policies
}

TEST(Report, DriftMovesOdmaBucketEdgesAndThePlotShowsThem) {
  const WorkloadRun& run = drift_run();
  const SimResult& odma = run.results[1];
  ASSERT_GT(odma.timeline.size(), 10u);
  const auto& first = odma.timeline.front().bucket_edges;
  const auto& last = odma.timeline.back().bucket_edges;
  ASSERT_FALSE(first.empty());
  ASSERT_EQ(first.size(), last.size());
  // The initial partition first falls to Alpaca's short answers, then climbs for NQ's long ones.
  auto sum = [](const std::vector<std::int32_t>& e) {
    std::int64_t s = 0;
    for (std::int32_t x : e) s += x;
    return s;
  };
  std::int64_t lowest = sum(first);
  for (const TimelineSample& s : odma.timeline) lowest = std::min(lowest, sum(s.bucket_edges));
  EXPECT_LT(lowest, sum(first));
  EXPECT_GT(sum(last), lowest);

  std::vector<PlotPanel> panels = timeline_panels(run);
  ASSERT_EQ(panels.size(), 2u);                      // utilization, then odma's edges
  EXPECT_EQ(panels[0].series.size(), 2u);            // one line per policy
  EXPECT_EQ(panels[1].series.size(), first.size());  // one line per edge
  const std::string svg = render_svg("t <&>", panels, 100);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("t &lt;&amp;&gt;"), std::string::npos);
  EXPECT_EQ(count(svg, "<polyline"), 2 + first.size());
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

}  // namespace
}  // namespace odma::sim
