// The predictor's public face: load a model, predict a request's output length, learn online, and
// the `--predictor` spec that replay / simulate / bench share.
//
//   Predictor::predict → kv::LengthPrediction{output_tokens = the length at the model's coverage
//   (default 0.95), clamped to [1, max_tokens]; uncertainty ∈ [0, 1] (see length_model.h)}.
//
//   --predictor spec:
//     oracle          the true length, uncertainty 0 (upper bound on prediction quality)
//     noisy:SIGMA     true · exp(SIGMA · z), z ~ N(0, 1) fixed per (request id, seed);
//                     uncertainty as a log-normal's: 1.645·SIGMA / ln(max_length)
//     model:PATH      the model file at PATH run on the prompt text
//     bundled         (the default, also "") the shipped Alpaca model,
//                     data/predictor/alpaca-default.odmp(.gz)
//     ...@Q           (model:PATH@Q, bundled@Q) reserve at coverage Q ∈ (0, 1] instead of the
//                     model's own (0.95): lower Q reserves less and leaves more to growth
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kv/types.h"
#include "predict/model_file.h"
#include "predict/online.h"
#include "workload/trace.h"

// The --predictor grammar, for every command's --help (one definition; see the top of this file).
#define ODMA_PREDICTOR_GRAMMAR "oracle | noisy:SIGMA | model:PATH[@Q] | bundled[@Q]"

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
  void observe(std::string_view prompt, std::int32_t prompt_tokens, std::int32_t max_tokens,
               std::int32_t actual_output_tokens);

  const PredictorModel& model() const { return model_; }
  double coverage() const { return model_.coverage; }
  void set_coverage(double coverage);  // throws odma::Error outside (0, 1]

 private:
  PredictorModel model_;
  OnlineConfig online_;
};

// A prediction per trace request, for replay / simulate / bench.
class PredictorSource {
 public:
  virtual ~PredictorSource() = default;
  // `max_tokens` <= 0: no cap. Sets true_output_tokens = request.output_tokens.
  virtual kv::LengthPrediction predict(const workload::TraceRequest& request,
                                       std::int32_t max_tokens) = 0;
  // A completed request (online learning; no-op except for models).
  virtual void observe(const workload::TraceRequest& /*request*/, std::int32_t /*max_tokens*/) {}
  virtual std::string describe() const = 0;  // e.g. "noisy:0.5 (seed 7)"
};

// Parses a --predictor spec (see top). Throws odma::Error on an unknown kind, a bad SIGMA (must be
// a finite number >= 0) or an unreadable model.
std::unique_ptr<PredictorSource> make_predictor_source(const std::string& spec, std::uint64_t seed);

// One prediction per request of `trace`, in order, from make_predictor_source(spec, seed); no
// online update (a replay sees every prediction before any completion). max_tokens <= 0: no cap.
std::vector<kv::LengthPrediction> predict_trace(const workload::Trace& trace,
                                                const std::string& spec, std::uint64_t seed,
                                                std::int32_t max_tokens = 0);

}  // namespace odma::predict
