#include "predict/predictor_source.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "base/rng.h"
#include "predict/predictor.h"

namespace odma::predict {
namespace {

constexpr std::int32_t kDefaultMaxLength = 2048;  // when a request has no cap (the S3 range)

kv::LengthPrediction clamp_to_cap(kv::LengthPrediction p, std::int32_t max_tokens) {
  p.output_tokens = std::max(1, p.output_tokens);
  if (max_tokens > 0) p.output_tokens = std::min(p.output_tokens, max_tokens);
  return p;
}

// Φ⁻¹(p) for p in (0, 1): Acklam's rational approximation (relative error < 1.2e-9).
double normal_quantile(double p) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  if (p >= 1.0) return 8.3;  // Φ⁻¹ of the largest double below 1 is about 8.2
  if (p < 0.02425) {
    const double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - 0.02425) return -normal_quantile(1 - p);
  const double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
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

class NoneSource final : public PredictorSource {
 public:
  kv::LengthPrediction predict(const workload::TraceRequest& r, std::int32_t max_tokens) override {
    kv::LengthPrediction p;
    p.output_tokens = max_tokens > 0 ? max_tokens : kDefaultMaxLength;
    p.uncertainty = 1.0;
    p.true_output_tokens = r.output_tokens;
    return p;
  }
  std::string describe() const override { return "none (reserve for max_tokens)"; }
};

class NoisySource final : public PredictorSource {
 public:
  NoisySource(double sigma, double quantile, std::uint64_t seed)
      : sigma_(sigma), shift_(normal_quantile(quantile)), quantile_(quantile), seed_(seed) {}
  kv::LengthPrediction predict(const workload::TraceRequest& r, std::int32_t max_tokens) override {
    // z ~ N(0, 1) from (id, seed) alone, so a request gets the same error in every run and policy.
    SplitMix64 rng(fnv1a64(r.id) ^ (seed_ * 0x9E3779B97F4A7C15ull));
    const double u1 = 1.0 - rng.uniform(), u2 = rng.uniform();  // u1 in (0, 1]
    const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
    kv::LengthPrediction p;
    p.output_tokens = static_cast<std::int32_t>(
        std::min(1e9, std::round(std::max(1, r.output_tokens) * std::exp(sigma_ * (z + shift_)))));
    const double range = std::log(max_tokens > 1 ? max_tokens : kDefaultMaxLength);
    p.uncertainty = std::clamp(1.645 * sigma_ / range, 0.0, 1.0);
    p.true_output_tokens = r.output_tokens;
    return clamp_to_cap(p, max_tokens);
  }
  std::string describe() const override {
    return "noisy:" + std::to_string(sigma_) +
           (quantile_ != 0.5 ? "@" + std::to_string(quantile_) : "") + " (seed " +
           std::to_string(seed_) + ")";
  }

 private:
  double sigma_, shift_, quantile_;
  std::uint64_t seed_;
};

class ModelSource final : public PredictorSource {
 public:
  ModelSource(std::unique_ptr<Predictor> predictor, std::string name)
      : predictor_(std::move(predictor)), name_(std::move(name)) {}
  kv::LengthPrediction predict(const workload::TraceRequest& r, std::int32_t max_tokens) override {
    kv::LengthPrediction p = predictor_->predict(r.prompt, r.prompt_tokens, max_tokens);
    p.true_output_tokens = r.output_tokens;
    return p;
  }
  void observe(const workload::TraceRequest& r, std::int32_t max_tokens,
               std::int32_t actual_output_tokens) override {
    predictor_->observe(r.prompt, r.prompt_tokens, max_tokens, actual_output_tokens);
  }
  void notify_drift() override { predictor_->notify_drift(); }
  bool learns() const override { return true; }
  std::string describe() const override {
    return name_ + (predictor_->auto_coverage() ? " @ auto coverage, now " : " @ coverage ") +
           std::to_string(predictor_->coverage()) + ", " +
           std::to_string(predictor_->drift_signals()) + " drift signals";
  }
  std::optional<double> coverage() const override { return predictor_->coverage(); }

 private:
  std::unique_ptr<Predictor> predictor_;
  std::string name_;
};

}  // namespace

std::unique_ptr<PredictorSource> make_predictor_source(const PredictorSpec& spec,
                                                       std::uint64_t seed,
                                                       const OnlineConfig& online) {
  switch (spec.kind) {
    case PredictorSpec::Kind::kOracle:
      return std::make_unique<OracleSource>();
    case PredictorSpec::Kind::kNone:
      return std::make_unique<NoneSource>();
    case PredictorSpec::Kind::kNoisy:
      return std::make_unique<NoisySource>(spec.sigma, spec.quantile.value_or(0.5), seed);
    case PredictorSpec::Kind::kModel:
      return std::make_unique<ModelSource>(make_serving_predictor(spec, online),
                                           "model:" + spec.path);
    case PredictorSpec::Kind::kBundled:
      return std::make_unique<ModelSource>(make_serving_predictor(spec, online),
                                           "bundled (" + Predictor::bundled_path().string() + ")");
  }
  throw Error("predictor: unknown kind");
}

std::unique_ptr<PredictorSource> make_predictor_source(const std::string& spec, std::uint64_t seed,
                                                       const OnlineConfig& online) {
  return make_predictor_source(PredictorSpec::parse(spec), seed, online);
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
