// How the predictor reacts when the KV layer's drift detector (kv/drift_detector.h: a KS test of
// completed lengths against the histogram the buckets were fitted to) fires.
//
// A detected drift means the length distribution moved; the online update (online.h) then steps
//   scale(i) = 1 + (boost − 1) · (window − i) / window   times further for the i-th completion
// after the signal, back to ×1 after `window` completions; a second signal restarts the window.
// Both rates are scaled: the bias row alone can only re-weight each prompt's bins (a label-shift
// correction), while a more verbose model shifts every prompt's lengths, which the rows shared by
// many prompts (sizes, cue groups) learn (measured on the documented drift: boosting the prior
// alone changed nothing; boosting both cut migrations per request by 0.06–0.11 at equal
// efficiency, docs/predictor.md "Online rates"). The @auto controller's step is scaled the same
// way (predictor.h), so the coverage follows the moving model and then settles with its usual
// small step.
#pragma once

#include <cstdint>

#include "base/debug.h"

namespace odma::predict {

class DriftBoost {
 public:
  // boost >= 1 (1 = no reaction), window >= 1 completions.
  DriftBoost(double boost, std::int32_t window) : boost_(boost), window_(window) {
    ODMA_ASSERT(boost >= 1 && window >= 1);
  }

  // New parameters; the signal count stays and a running window is cut to the new length.
  void configure(double boost, std::int32_t window) {
    ODMA_ASSERT(boost >= 1 && window >= 1);
    boost_ = boost;
    window_ = window;
    if (left_ > window_) left_ = window_;
  }
  void signal() {
    left_ = window_;
    ++signals_;
  }
  // The multiplier for the current completion (1 outside a window).
  double scale() const { return 1.0 + (boost_ - 1.0) * left_ / window_; }
  // One completion done: the boost decays by one step.
  void advance() {
    if (left_ > 0) --left_;
  }
  std::int64_t signals() const { return signals_; }  // drifts signalled so far
  bool active() const { return left_ > 0; }

 private:
  double boost_;
  std::int32_t window_;
  std::int32_t left_ = 0;  // completions left in the current window
  std::int64_t signals_ = 0;
};

}  // namespace odma::predict
