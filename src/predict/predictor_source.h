// Predictions for the requests of a trace (replay, simulate, bench), from a --predictor spec
// (predictor_spec.h): the oracle and noisy stand-ins read the trace's true length; model and
// bundled run a Predictor on the prompt text; none reserves for the cap.
//
// A source is asked once per request. In an online run (`--online`) it is asked when the request
// arrives and told each completion (observe), so a model source learns as it goes; otherwise every
// prediction is made before the run (predict_trace) and nothing is learnt.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kv/types.h"
#include "predict/online.h"
#include "predict/predictor_spec.h"
#include "workload/trace.h"

namespace odma::predict {

class PredictorSource {
 public:
  virtual ~PredictorSource() = default;
  // `max_tokens` <= 0: no cap. Sets true_output_tokens = request.output_tokens.
  virtual kv::LengthPrediction predict(const workload::TraceRequest& request,
                                       std::int32_t max_tokens) = 0;
  // A completed request and the output tokens it produced (online learning; a no-op unless the
  // source runs a model).
  virtual void observe(const workload::TraceRequest& /*request*/, std::int32_t /*max_tokens*/,
                       std::int32_t /*actual_output_tokens*/) {}
  // The KV layer detected a drift of completed lengths (kv::drift_detections; a no-op unless the
  // source runs a model: Predictor::notify_drift).
  virtual void notify_drift() {}
  virtual bool learns() const { return false; }  // whether observe() changes later predictions
  virtual std::string describe() const = 0;      // e.g. "noisy:0.5 (seed 7)"
  // The coverage a model source reserves at now (moves under @auto); nullopt for the others.
  virtual std::optional<double> coverage() const { return std::nullopt; }
};

// Throws odma::Error for an unreadable model file. A model source learns at `online`'s rates.
std::unique_ptr<PredictorSource> make_predictor_source(const PredictorSpec& spec,
                                                       std::uint64_t seed,
                                                       const OnlineConfig& online = {});
// Parses `spec` first (PredictorSpec::parse).
std::unique_ptr<PredictorSource> make_predictor_source(const std::string& spec, std::uint64_t seed,
                                                       const OnlineConfig& online = {});

// One prediction per request of `trace`, in order, made before the run (no online update).
// max_tokens <= 0: no cap.
std::vector<kv::LengthPrediction> predict_trace(const workload::Trace& trace,
                                                const std::string& spec, std::uint64_t seed,
                                                std::int32_t max_tokens = 0);

}  // namespace odma::predict
