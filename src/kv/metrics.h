// Run-level KV metrics, exactly as DESIGN.md defines them. The planner's caller feeds one sample
// per scheduler step and one per completed request.
#pragma once

#include <cstdint>

#include "kv/policy.h"

namespace odma::kv {

class UtilizationMeter {
 public:
  // One scheduler step with the policy's occupancy during that step.
  void on_step(const KvGauges& g) {
    stored_ += g.used;
    reserved_ += g.reserved;
    capacity_ += g.capacity;
    live_ += g.live_requests;
    ++steps_;
  }
  // A request completed with `final_tokens` = prompt + output while holding `held_slots`.
  void on_finish(std::int64_t final_tokens, std::int64_t held_slots) {
    final_tokens_ += final_tokens;
    held_slots_ += held_slots;
  }

  // KV utilization = Σ_steps tokens stored ÷ Σ_steps slots reserved by live requests.
  double kv_utilization() const { return ratio(stored_, reserved_); }
  // Capacity usage = Σ_steps tokens stored ÷ Σ_steps arena capacity.
  double capacity_usage() const { return ratio(stored_, capacity_); }
  // Reservation efficiency = Σ_completed (prompt + output) ÷ Σ_completed slots held at completion.
  double reservation_efficiency() const { return ratio(final_tokens_, held_slots_); }
  // Mean admitted concurrency = Σ_steps live requests ÷ steps.
  double mean_concurrency() const { return ratio(live_, steps_); }
  std::int64_t steps() const { return steps_; }

 private:
  static double ratio(std::int64_t a, std::int64_t b) {
    return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
  }
  std::int64_t stored_ = 0, reserved_ = 0, capacity_ = 0, live_ = 0, steps_ = 0;
  std::int64_t final_tokens_ = 0, held_slots_ = 0;
};

}  // namespace odma::kv
