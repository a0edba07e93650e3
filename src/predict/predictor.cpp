#include "predict/predictor.h"

#include <algorithm>

#include "base/error.h"
#include "base/file_io.h"

namespace odma::predict {
namespace {

kv::LengthPrediction clamp_to_cap(kv::LengthPrediction p, std::int32_t max_tokens) {
  p.output_tokens = std::max(1, p.output_tokens);
  if (max_tokens > 0) p.output_tokens = std::min(p.output_tokens, max_tokens);
  return p;
}

}  // namespace

Predictor::Predictor(PredictorModel model, OnlineConfig online)
    : model_(std::move(model)), online_(online), boost_(1, 1) {
  set_online(online);
  set_coverage(model_.coverage);
}

void Predictor::set_online(const OnlineConfig& online) {
  online.validate();
  online_ = online;
  boost_.configure(online.drift_boost, online.drift_window);
}

Predictor Predictor::load(const std::filesystem::path& path) {
  return Predictor(load_model(path));
}

std::filesystem::path Predictor::bundled_path() {
  return data_file("predictor/alpaca-default.odmp");
}

Predictor Predictor::bundled() {
  return load(bundled_path());
}

void Predictor::set_coverage(double coverage) {
  if (!(coverage > 0 && coverage <= 1))
    throw Error("predictor coverage must be in (0, 1] (got " + std::to_string(coverage) + ")");
  model_.coverage = coverage;
}

Distribution Predictor::distribution(std::string_view prompt, std::int32_t prompt_tokens,
                                     std::int32_t max_tokens) const {
  return model_.model.predict(PromptInfo{prompt, prompt_tokens, max_tokens});
}

kv::LengthPrediction Predictor::predict(std::string_view prompt, std::int32_t prompt_tokens,
                                        std::int32_t max_tokens) const {
  return predict(prompt, prompt_tokens, max_tokens, model_.coverage);
}

kv::LengthPrediction Predictor::predict(std::string_view prompt, std::int32_t prompt_tokens,
                                        std::int32_t max_tokens, double coverage) const {
  if (!(coverage > 0 && coverage <= 1))
    throw Error("predictor coverage must be in (0, 1] (got " + std::to_string(coverage) + ")");
  return clamp_to_cap(distribution(prompt, prompt_tokens, max_tokens).to_prediction(coverage),
                      max_tokens);
}

void Predictor::enable_auto_coverage(double miss_rate) {
  if (!(miss_rate > 0 && miss_rate < 1))
    throw Error("predictor miss rate must be in (0, 1) (got " + std::to_string(miss_rate) + ")");
  miss_rate_ = miss_rate;
}

void Predictor::observe(std::string_view prompt, std::int32_t prompt_tokens,
                        std::int32_t max_tokens, std::int32_t actual_output_tokens) {
  // The miss is judged against the model before this completion updates it (what admission saw,
  // up to the updates of the completions in between).
  const bool miss = actual_output_tokens > predict(prompt, prompt_tokens, max_tokens).output_tokens;
  recent_miss_ += ((miss ? 1.0 : 0.0) - recent_miss_) / 200.0;
  const double boost = boost_.scale();
  if (miss_rate_) {
    model_.coverage =
        std::clamp(model_.coverage + boost * kCoverageStep * ((miss ? 1.0 : 0.0) - *miss_rate_),
                   kMinCoverage, kMaxCoverage);
  }
  OnlineUpdater(model_.model, online_)
      .observe(PromptInfo{prompt, prompt_tokens, max_tokens}, actual_output_tokens,
               static_cast<float>(boost));
  boost_.advance();
  ++observations_;
}

void apply_coverage(Predictor& p, const PredictorSpec& spec) {
  if (spec.quantile) p.set_coverage(*spec.quantile);
  if (spec.auto_miss_rate) p.enable_auto_coverage(*spec.auto_miss_rate);
}

std::unique_ptr<Predictor> make_serving_predictor(const PredictorSpec& spec,
                                                  const OnlineConfig& online) {
  switch (spec.kind) {
    case PredictorSpec::Kind::kNone:
      return nullptr;
    case PredictorSpec::Kind::kOracle:
    case PredictorSpec::Kind::kNoisy:
      throw Error("--predictor " + spec.to_string() +
                  " needs each request's true length, which only a trace replay has (odma "
                  "replay, simulate, bench); a server takes model:PATH, bundled or none");
    case PredictorSpec::Kind::kModel:
    case PredictorSpec::Kind::kBundled:
      break;
  }
  const std::filesystem::path path = spec.kind == PredictorSpec::Kind::kModel
                                         ? std::filesystem::path(spec.path)
                                         : Predictor::bundled_path();
  auto p = std::make_unique<Predictor>(load_model(path), online);
  apply_coverage(*p, spec);
  return p;
}

}  // namespace odma::predict
