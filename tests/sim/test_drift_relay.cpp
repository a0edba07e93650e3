// The trace driver passes odma's bucket drift detections on to an online predictor source
// (kv::drift_detections → PredictorSource::notify_drift), as serve::Engine does for its own
// predictor.
#include <gtest/gtest.h>

#include "kv/policy_odma.h"
#include "predict/predictor_source.h"
#include "sim/replay.h"
#include "sim/trace_driver.h"
#include "workload/workload.h"

namespace odma::sim {
namespace {

// The true length, plus a count of the drift signals it was told.
class CountingSource final : public predict::PredictorSource {
 public:
  kv::LengthPrediction predict(const workload::TraceRequest& r, std::int32_t) override {
    kv::LengthPrediction p;
    p.output_tokens = r.output_tokens;
    return p;
  }
  void notify_drift() override { ++signals; }
  std::string describe() const override { return "counting"; }
  std::int64_t signals = 0;
};

kv::SessionConfig config(const std::string& policy) {
  kv::SessionConfig c;
  c.policy = policy;
  c.kv.capacity_tokens = 131072;
  c.kv.max_model_len = 4096;
  c.max_output_tokens = 2048;
  return c;
}

void run(TraceDriver& d) {
  while (!d.finished()) {
    d.submit_all();
    (void)d.plan();
    (void)d.commit();
  }
}

TEST(DriftRelay, EachDetectionOfTheBucketsReachesTheOnlineSource) {
  // Alpaca's short answers, then NQ's paragraphs: a shift the detector cannot miss.
  const workload::Trace t = workload::make_drift({"alpaca", "nq"}, 1200, workload::Split::kTest, 1);
  CountingSource source;
  TraceDriver d(t, source, config("odma"));
  run(d);
  const std::int64_t detections = kv::drift_detections(d.policy());
  EXPECT_GE(detections, 1);
  // Several detections in one step reach the source as one signal.
  EXPECT_GE(source.signals, 1);
  EXPECT_LE(source.signals, detections);
}

TEST(DriftRelay, OtherPoliciesHaveNoDetector) {
  const workload::Trace t = workload::make_drift({"alpaca", "nq"}, 400, workload::Split::kTest, 1);
  CountingSource source;
  TraceDriver d(t, source, config("paged"));
  run(d);
  EXPECT_EQ(kv::drift_detections(d.policy()), 0);
  EXPECT_EQ(source.signals, 0);
}

}  // namespace
}  // namespace odma::sim
