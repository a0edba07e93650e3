// The one `--predictor` grammar, parsed here for every command (replay, simulate, bench, generate,
// serve):
//
//   oracle        the true length, uncertainty 0 (trace replays only: a server has no truth)
//   noisy:SIGMA   true · exp(SIGMA · z), z ~ N(0, 1) fixed per (request id, seed); uncertainty
//                 as a log-normal's, 1.645·SIGMA / ln(max_tokens) (trace replays only)
//   model:PATH    a model file written by `odma predictor train`, run on the prompt text
//   bundled       the shipped Alpaca model, data/predictor/alpaca-default.odmp(.gz)
//   none          no prediction: the policy reserves for max_tokens (uncertainty 1)
//   ...@Q         reserve at quantile Q ∈ (0, 1] of the predicted distribution instead of the
//                 default: the model's own coverage (0.95) for model/bundled; for noisy, whose
//                 estimate is its median, Q moves it to true·exp(SIGMA·(z + Φ⁻¹(Q))); for oracle
//                 (a point mass) and none, Q changes nothing
//   ...@auto[:RATE]  model/bundled: a self-calibrating quantile — after every completion the
//                 coverage moves toward the value at which a share RATE of requests outgrows its
//                 predicted length (default 0.1; predictor.h); others: as without a suffix
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace odma::predict {

// For --help texts and errors, so every command states the same grammar.
inline constexpr const char* kPredictorGrammar =
    "oracle | noisy:SIGMA | model:PATH | bundled | none, each with an optional @Q or @auto[:RATE]";

// The share of requests allowed to outgrow their predicted length under @auto without a RATE.
inline constexpr double kDefaultMissRate = 0.1;

struct PredictorSpec {
  enum class Kind { kOracle, kNoisy, kModel, kBundled, kNone };
  Kind kind = Kind::kBundled;
  double sigma = 0;                      // kNoisy
  std::string path;                      // kModel
  std::optional<double> quantile;        // @Q
  std::optional<double> auto_miss_rate;  // @auto[:RATE]

  // Throws odma::Error quoting the spec and the grammar on anything else.
  static PredictorSpec parse(std::string_view text);
  std::string to_string() const;  // canonical form, e.g. "bundled@0.5"
  // Oracle and noisy read the true length: only replays of traces have it.
  bool needs_truth() const { return kind == Kind::kOracle || kind == Kind::kNoisy; }
};

}  // namespace odma::predict
