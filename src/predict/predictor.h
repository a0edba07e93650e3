// The predictor's public face: load a model, predict a request's output length, learn online.
//
//   Predictor::predict → kv::LengthPrediction{output_tokens = the length at the model's coverage
//   (default 0.95), clamped to [1, max_tokens]; uncertainty ∈ [0, 1] (see length_model.h)}.
//
// Serving (serve/engine.h) holds one Predictor: it predicts each request that arrives without a
// prediction, on the engine thread, and observes every completed request's real output length,
// so the served model's own lengths train it while it serves (online.h). Trace replays use the
// same predictors through predictor_source.h.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>

#include "kv/types.h"
#include "predict/drift_boost.h"
#include "predict/model_file.h"
#include "predict/online.h"
#include "predict/predictor_spec.h"

namespace odma::predict {

class Predictor {
 public:
  explicit Predictor(PredictorModel model, OnlineConfig online = {});

  // Throws odma::Error naming the file on any defect (see model_file.h).
  static Predictor load(const std::filesystem::path& path);
  static Predictor bundled();
  static std::filesystem::path bundled_path();  // data_file("predictor/alpaca-default.odmp")

  // max_tokens <= 0 means "no cap".
  Distribution distribution(std::string_view prompt, std::int32_t prompt_tokens,
                            std::int32_t max_tokens) const;
  kv::LengthPrediction predict(std::string_view prompt, std::int32_t prompt_tokens,
                               std::int32_t max_tokens) const;
  kv::LengthPrediction predict(std::string_view prompt, std::int32_t prompt_tokens,
                               std::int32_t max_tokens, double coverage) const;

  // Online update from a completed request (not thread-safe against predict; see online.h).
  // Rates: online() (online.h); within a drift window both steps are boosted (drift_boost.h).
  void observe(std::string_view prompt, std::int32_t prompt_tokens, std::int32_t max_tokens,
               std::int32_t actual_output_tokens);
  std::int64_t observations() const { return observations_; }
  const OnlineConfig& online() const { return online_; }
  void set_online(const OnlineConfig& online);  // throws odma::Error on an invalid config

  // The KV layer's drift detector fired (kv::drift_detections counts them): the online update and
  // the @auto controller step further for the next online().drift_window completions.
  void notify_drift() { boost_.signal(); }
  std::int64_t drift_signals() const { return boost_.signals(); }
  double drift_boost_now() const { return boost_.scale(); }  // the current multiplier, for metrics

  const PredictorModel& model() const { return model_; }
  double coverage() const { return model_.coverage; }
  void set_coverage(double coverage);  // throws odma::Error outside (0, 1]

  // Self-calibrating coverage (`@auto[:RATE]`): each observe() first checks whether the actual
  // length exceeded the one predicted at the current coverage (a miss: the reservation would
  // have been too small), then moves the coverage by kCoverageStep · (miss − miss_rate) (times the
  // drift boost within a drift window) within
  // [kMinCoverage, kMaxCoverage] — the online quantile update of adaptive conformal inference
  // (Gibbs & Candès, 2021). The long-run share of misses is then `miss_rate` whatever the
  // traffic, and after a drift it returns there without retuning. Throws odma::Error outside
  // (0, 1).
  void enable_auto_coverage(double miss_rate);
  bool auto_coverage() const { return miss_rate_.has_value(); }
  // Misses over the recent completions (exponentially weighted, ~200 completions), for metrics.
  double recent_miss_rate() const { return recent_miss_; }

  static constexpr double kCoverageStep = 0.01;
  static constexpr double kMinCoverage = 0.05, kMaxCoverage = 0.995;

 private:
  PredictorModel model_;
  OnlineConfig online_;
  DriftBoost boost_;
  std::int64_t observations_ = 0;
  std::optional<double> miss_rate_;  // @auto's target
  double recent_miss_ = 0.0;
};

// Applies the spec's @Q (the coverage) and @auto[:RATE] (the self-calibrating coverage) to `p`.
void apply_coverage(Predictor& p, const PredictorSpec& spec);

// The predictor a serving engine runs for `spec`: the model of model:PATH or bundled (at @Q when
// given) learning online at `online`'s rates, nullptr for none. Throws odma::Error for oracle and
// noisy (they need the true length, which only a trace replay has) and for an unreadable model
// file.
std::unique_ptr<Predictor> make_serving_predictor(const PredictorSpec& spec,
                                                  const OnlineConfig& online = {});

}  // namespace odma::predict
