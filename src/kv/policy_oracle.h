// oracle: reserves prompt + the true output length (granule-rounded) — the sizing upper bound,
// for reference only (replay/simulation know the truth). Unknown truth (-1) falls back to
// max_output_tokens. If the truth proves wrong the request is preempted, and its re-admission
// (generated_before_preemption > 0) reserves the full cap.
#pragma once

#include "kv/contiguous_policy.h"

namespace odma::kv {

class OraclePolicy final : public ContiguousPolicy {
 public:
  explicit OraclePolicy(const PolicyConfig& config) : ContiguousPolicy(config) {}
  std::string name() const override { return "oracle"; }

 protected:
  std::int64_t reservation(const RequestSpec& spec) const override {
    const std::int32_t truth = spec.prediction.true_output_tokens;
    const bool trusted = truth >= 0 && spec.generated_before_preemption == 0;
    return reservation_for(spec, trusted ? truth : spec.max_output_tokens);
  }
};

}  // namespace odma::kv
