// static: every request reserves prompt + max_output_tokens (granule-rounded) at admission —
// FasterTransformer / TensorRT-LLM contiguous style. It can never overflow: growth past the
// reservation is growth past the request's cap (kExceedsModelLimit).
#pragma once

#include "kv/contiguous_policy.h"

namespace odma::kv {

class StaticPolicy final : public ContiguousPolicy {
 public:
  // No prefix caching: static stands for the paper's baseline as published.
  explicit StaticPolicy(const PolicyConfig& config) : ContiguousPolicy(config) { caching_ = false; }
  std::string name() const override { return "static"; }

 protected:
  std::int64_t reservation(const RequestSpec& spec) const override {
    return arena_.round_up(spec.total_tokens_cap());
  }
};

}  // namespace odma::kv
