#include "predict/predictor_spec.h"

#include <charconv>
#include <cmath>

#include "base/error.h"

namespace odma::predict {
namespace {

[[noreturn]] void bad(std::string_view text, const std::string& why) {
  throw Error("--predictor " + std::string(text) + ": " + why + " (grammar: " + kPredictorGrammar +
              ")");
}

double number(std::string_view text, std::string_view digits, const char* what) {
  double v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
      !std::isfinite(v))
    bad(text, std::string(what) + " must be a number, got '" + std::string(digits) + "'");
  return v;
}

std::string trim_number(double v) {
  std::string s = std::to_string(v);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

PredictorSpec PredictorSpec::parse(std::string_view text) {
  PredictorSpec s;
  std::string_view body = text;
  // The quantile suffix: after the last '@' (unless that '@' is inside a model path's folders).
  if (const auto at = text.rfind('@');
      at != std::string_view::npos &&
      !(text.starts_with("model:") && text.substr(at + 1).find('/') != std::string_view::npos)) {
    const std::string_view suffix = text.substr(at + 1);
    if (suffix == "auto" || suffix.starts_with("auto:")) {
      s.auto_miss_rate =
          suffix == "auto" ? kDefaultMissRate : number(text, suffix.substr(5), "the miss RATE");
      if (!(*s.auto_miss_rate > 0 && *s.auto_miss_rate < 1))
        bad(text, "the miss RATE of @auto:RATE must be in (0, 1)");
    } else {
      const double q = number(text, suffix, "the quantile Q");
      if (!(q > 0 && q <= 1)) bad(text, "the quantile Q must be in (0, 1]");
      s.quantile = q;
    }
    body = text.substr(0, at);
  }
  if (body == "oracle") {
    s.kind = Kind::kOracle;
  } else if (body == "bundled") {
    s.kind = Kind::kBundled;
  } else if (body == "none") {
    s.kind = Kind::kNone;
  } else if (body.starts_with("noisy:")) {
    s.kind = Kind::kNoisy;
    s.sigma = number(text, body.substr(6), "SIGMA");
    if (s.sigma < 0) bad(text, "SIGMA must be >= 0 (e.g. noisy:0.5)");
  } else if (body.starts_with("model:")) {
    s.kind = Kind::kModel;
    s.path = std::string(body.substr(6));
    if (s.path.empty()) bad(text, "model:PATH needs a path");
  } else {
    bad(text, "unknown predictor");
  }
  return s;
}

std::string PredictorSpec::to_string() const {
  std::string s;
  switch (kind) {
    case Kind::kOracle:
      s = "oracle";
      break;
    case Kind::kNoisy:
      s = "noisy:" + trim_number(sigma);
      break;
    case Kind::kModel:
      s = "model:" + path;
      break;
    case Kind::kBundled:
      s = "bundled";
      break;
    case Kind::kNone:
      s = "none";
      break;
  }
  if (quantile) s += "@" + trim_number(*quantile);
  if (auto_miss_rate) s += "@auto:" + trim_number(*auto_miss_rate);
  return s;
}

}  // namespace odma::predict
