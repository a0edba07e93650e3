#include "predict/online.h"

#include <charconv>
#include <cmath>

#include "base/error.h"

namespace odma::predict {
namespace {

double number(const std::string& flag, const std::string& text) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size())
    throw Error(flag + ": '" + text + "' is not a number");
  return v;
}

// "a,b" → {a, b}; "a" → {a}.
std::vector<std::string> parts(const std::string& s) {
  std::vector<std::string> out;
  std::size_t begin = 0;
  for (std::size_t comma; (comma = s.find(',', begin)) != std::string::npos; begin = comma + 1)
    out.push_back(s.substr(begin, comma - begin));
  out.push_back(s.substr(begin));
  return out;
}

std::string trimmed(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

void OnlineConfig::validate() const {
  auto rate = [](float r, const char* name) {
    if (!(r >= 0 && std::isfinite(r)))
      throw Error(std::string("online predictor update: the ") + name +
                  " rate must be finite and >= 0 (got " + std::to_string(r) + ")");
  };
  rate(feature_rate, "feature");
  rate(prior_rate, "prior");
  if (!(drift_boost >= 1 && std::isfinite(drift_boost)))
    throw Error("online predictor update: the drift boost must be >= 1 (got " +
                std::to_string(drift_boost) + ")");
  if (drift_window < 1)
    throw Error("online predictor update: the drift window must be >= 1 completion (got " +
                std::to_string(drift_window) + ")");
}

std::string OnlineConfig::to_string() const {
  std::string s = "feature " + trimmed(feature_rate) + ", prior " + trimmed(prior_rate);
  if (drift_boost > 1)
    return s + ", drift boost ×" + trimmed(drift_boost) + " over " + std::to_string(drift_window);
  return s + ", no drift boost";
}

OnlineConfig parse_online_config(const std::optional<std::string>& rates,
                                 const std::optional<std::string>& drift_boost) {
  OnlineConfig c;
  if (rates) {
    const std::vector<std::string> p = parts(*rates);
    if (p.size() != 2) throw Error("--online-rates: give FEATURE,PRIOR (got '" + *rates + "')");
    c.feature_rate = static_cast<float>(number("--online-rates", p[0]));
    c.prior_rate = static_cast<float>(number("--online-rates", p[1]));
  }
  if (drift_boost) {
    if (*drift_boost == "off") {
      c.drift_boost = 1.0f;
    } else {
      const std::vector<std::string> p = parts(*drift_boost);
      if (p.size() > 2)
        throw Error("--drift-boost: give BOOST[,WINDOW] or off (got '" + *drift_boost + "')");
      c.drift_boost = static_cast<float>(number("--drift-boost", p[0]));
      if (p.size() == 2) {
        const double w = number("--drift-boost", p[1]);
        if (!(w >= 1 && w <= 1e9 && w == std::floor(w)))
          throw Error("--drift-boost: the WINDOW must be a whole number of completions >= 1");
        c.drift_window = static_cast<std::int32_t>(w);
      }
    }
  }
  c.validate();
  return c;
}

OnlineUpdater::OnlineUpdater(LengthModel& model, OnlineConfig config)
    : model_(model), config_(config) {
  config_.validate();
  prob_.resize(static_cast<std::size_t>(model.bins()));
}

void OnlineUpdater::observe(const PromptInfo& prompt, std::int32_t actual_output_tokens,
                            float boost) {
  model_.extractor().extract(prompt, features_);
  model_.probabilities(features_, prob_.data());
  const std::int32_t truth = bin_of(model_.config().edges, actual_output_tokens);
  const std::int32_t nb = model_.bins();
  prob_[static_cast<std::size_t>(truth)] -= 1.0f;  // δ = p − y
  for (std::size_t k = 0; k < features_.size(); ++k) {
    if (features_.rows[k] == 0) continue;  // the bias: the prior's step below
    float* w = model_.row(features_.rows[k]);
    const float step = boost * config_.feature_rate * features_.values[k];
    for (std::int32_t b = 0; b < nb; ++b) w[b] -= step * prob_[static_cast<std::size_t>(b)];
  }
  float* bias = model_.row(0);
  const float step = boost * config_.prior_rate;
  for (std::int32_t b = 0; b < nb; ++b) bias[b] -= step * prob_[static_cast<std::size_t>(b)];
  ++observations_;
}

}  // namespace odma::predict
