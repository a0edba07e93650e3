#include "predict/predictor.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "base/error.h"
#include "base/file_io.h"
#include "predict/trainer.h"

namespace odma::predict {
namespace {

constexpr std::int32_t kDefaultMaxLength = 2048;  // when a request has no cap (the S3 range)

kv::LengthPrediction clamp_to_cap(kv::LengthPrediction p, std::int32_t max_tokens) {
  p.output_tokens = std::max(1, p.output_tokens);
  if (max_tokens > 0) p.output_tokens = std::min(p.output_tokens, max_tokens);
  return p;
}

class OracleSource final : public PredictorSource {
 public:
  kv::LengthPrediction predict(const workload::TraceRequest& r, std::int32_t max_tokens) override {
    kv::LengthPrediction p;
    p.output_tokens = r.output_tokens;
    p.true_output_tokens = r.output_tokens;
    return clamp_to_cap(p, max_tokens);
  }
  std::string describe() const override { return "oracle"; }
};

class NoisySource final : public PredictorSource {
 public:
  NoisySource(double sigma, std::uint64_t seed) : sigma_(sigma), seed_(seed) {}
  kv::LengthPrediction predict(const workload::TraceRequest& r, std::int32_t max_tokens) override {
    // z ~ N(0, 1) from (id, seed) alone, so a request gets the same error in every run and policy.
    SplitMix64 rng(fnv1a64(r.id) ^ (seed_ * 0x9E3779B97F4A7C15ull));
    const double u1 = 1.0 - rng.uniform(), u2 = rng.uniform();  // u1 in (0, 1]
    const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
    kv::LengthPrediction p;
    p.output_tokens = static_cast<std::int32_t>(
        std::min(1e9, std::round(std::max(1, r.output_tokens) * std::exp(sigma_ * z))));
    const double range = std::log(max_tokens > 1 ? max_tokens : kDefaultMaxLength);
    p.uncertainty = std::clamp(1.645 * sigma_ / range, 0.0, 1.0);
    p.true_output_tokens = r.output_tokens;
    return clamp_to_cap(p, max_tokens);
  }
  std::string describe() const override {
    return "noisy:" + std::to_string(sigma_) + " (seed " + std::to_string(seed_) + ")";
  }

 private:
  double sigma_;
  std::uint64_t seed_;
};

class ModelSource final : public PredictorSource {
 public:
  ModelSource(Predictor predictor, std::string name)
      : predictor_(std::move(predictor)), name_(std::move(name)) {}
  kv::LengthPrediction predict(const workload::TraceRequest& r, std::int32_t max_tokens) override {
    kv::LengthPrediction p = predictor_.predict(r.prompt, r.prompt_tokens, max_tokens);
    p.true_output_tokens = r.output_tokens;
    return p;
  }
  void observe(const workload::TraceRequest& r, std::int32_t max_tokens) override {
    predictor_.observe(r.prompt, r.prompt_tokens, max_tokens, r.output_tokens);
  }
  std::string describe() const override { return name_; }

 private:
  Predictor predictor_;
  std::string name_;
};

}  // namespace

Predictor::Predictor(PredictorModel model, OnlineConfig online)
    : model_(std::move(model)), online_(online) {
  set_coverage(model_.coverage);
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

void Predictor::observe(std::string_view prompt, std::int32_t prompt_tokens,
                        std::int32_t max_tokens, std::int32_t actual_output_tokens) {
  OnlineUpdater(model_.model, online_)
      .observe(PromptInfo{prompt, prompt_tokens, max_tokens}, actual_output_tokens);
}

namespace {

// "bundled@0.7" / "model:PATH@0.7": the model reserving at coverage 0.7 instead of its own.
std::unique_ptr<PredictorSource> model_source(Predictor predictor, const std::string& name,
                                              const std::string& coverage) {
  if (!coverage.empty()) {
    double q = -1;
    auto [end, ec] = std::from_chars(coverage.data(), coverage.data() + coverage.size(), q);
    if (ec != std::errc() || end != coverage.data() + coverage.size())
      throw Error("--predictor " + name + "@" + coverage + ": coverage must be a number in (0, 1]");
    predictor.set_coverage(q);
  }
  return std::make_unique<ModelSource>(
      std::move(predictor), name + " @ coverage " + std::to_string(predictor.coverage()));
}

}  // namespace

std::unique_ptr<PredictorSource> make_predictor_source(const std::string& full_spec,
                                                       std::uint64_t seed) {
  if (full_spec == "oracle") return std::make_unique<OracleSource>();
  std::string spec = full_spec, coverage;
  if (auto at = full_spec.rfind('@');
      at != std::string::npos && full_spec.rfind("noisy:", 0) != 0) {
    spec = full_spec.substr(0, at);
    coverage = full_spec.substr(at + 1);
  }
  if (spec.empty() || spec == "bundled")
    return model_source(Predictor::bundled(),
                        "bundled (" + Predictor::bundled_path().string() + ")", coverage);
  if (spec.rfind("noisy:", 0) == 0) {
    const std::string text = spec.substr(6);
    double sigma = -1;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), sigma);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
        !std::isfinite(sigma) || sigma < 0)
      throw Error("--predictor " + spec + ": SIGMA must be a finite number >= 0 (e.g. noisy:0.5)");
    return std::make_unique<NoisySource>(sigma, seed);
  }
  if (spec.rfind("model:", 0) == 0) {
    const std::string path = spec.substr(6);
    if (path.empty()) throw Error("--predictor model:PATH needs a path");
    return model_source(Predictor::load(path), "model:" + path, coverage);
  }
  throw Error(
      "--predictor " + spec +
      ": unknown predictor (use oracle, noisy:SIGMA, model:PATH[@COVERAGE] or bundled[@COVERAGE])");
}

std::vector<kv::LengthPrediction> predict_trace(const workload::Trace& trace,
                                                const std::string& spec, std::uint64_t seed,
                                                std::int32_t max_tokens) {
  auto source = make_predictor_source(spec, seed);
  std::vector<kv::LengthPrediction> out;
  out.reserve(trace.requests.size());
  for (const workload::TraceRequest& r : trace.requests)
    out.push_back(source->predict(r, max_tokens));
  return out;
}

}  // namespace odma::predict
