#include "sim/trace_driver.h"

#include <algorithm>

#include "base/error.h"
#include "kv/policy_odma.h"
#include "workload/prefix_blocks.h"

namespace odma::sim {

TraceDriver::TraceDriver(const workload::Trace& trace,
                         const std::vector<kv::LengthPrediction>& predictions,
                         const kv::SessionConfig& config)
    : TraceDriver(trace, &predictions, nullptr, config) {}

TraceDriver::TraceDriver(const workload::Trace& trace, predict::PredictorSource& online,
                         const kv::SessionConfig& config)
    : TraceDriver(trace, nullptr, &online, config) {}

TraceDriver::TraceDriver(const workload::Trace& trace,
                         const std::vector<kv::LengthPrediction>* predictions,
                         predict::PredictorSource* online, const kv::SessionConfig& config)
    : trace_(trace),
      precomputed_(predictions),
      online_(online),
      session_(config),
      true_len_(trace.requests.size(), 0),
      caps_(trace.requests.size(), 0) {
  if (precomputed_ != nullptr && precomputed_->size() != trace.requests.size()) {
    throw Error("replay: " + std::to_string(precomputed_->size()) + " predictions for " +
                std::to_string(trace.requests.size()) + " requests");
  }
  if (online_ != nullptr) {
    session_.set_admission_predictor([this](const kv::RequestSpec& spec) {
      kv::LengthPrediction p = online_->predict(trace_.requests[spec.id], spec.max_output_tokens);
      p.output_tokens = std::clamp(p.output_tokens, 1, spec.max_output_tokens);
      p.true_output_tokens = true_len_[spec.id];
      return p;
    });
  }
}

double TraceDriver::next_arrival_s() const {
  return all_submitted() ? std::numeric_limits<double>::infinity()
                         : trace_.requests[next_].arrival_s;
}

void TraceDriver::submit_until(double now) {
  const std::int32_t cap = session_.config().max_output_tokens;
  while (next_ < trace_.requests.size() && trace_.requests[next_].arrival_s <= now) {
    const auto& t = trace_.requests[next_];
    kv::RequestSpec spec;
    spec.id = next_;
    spec.prompt_tokens = std::max(1, t.prompt_tokens);
    spec.max_output_tokens = session_.cap_for(spec.prompt_tokens, cap);
    // Online: the prediction is made at admission, with whatever the source has learnt by then.
    if (online_ == nullptr) spec.prediction = (*precomputed_)[next_];
    spec.prediction.true_output_tokens = std::clamp(t.output_tokens, 1, spec.max_output_tokens);
    true_len_[next_] = spec.prediction.true_output_tokens;
    caps_[next_] = spec.max_output_tokens;
    if (!t.prefix_blocks.empty() && trace_.block_tokens > 0 && t.prompt_tokens >= 1) {
      // Ids in [1000, 150000): clear of a tokenizer's special ids; equal blocks, equal ids.
      auto [it, fresh] =
          tokens_.emplace(next_, workload::synthesize_prompt(t.prefix_blocks, t.prompt_tokens,
                                                             trace_.block_tokens, 1000, 150000));
      spec.tokens = &it->second;
    }
    session_.submit(spec, /*predict_at_admission=*/online_ != nullptr);
    ++next_;
  }
}

const kv::StepPlan& TraceDriver::plan() {
  plan_ = session_.plan();
  return plan_;
}

const std::vector<kv::Completion>& TraceDriver::commit() {
  finished_.clear();
  for (const kv::WorkItem& w : plan_.items) {
    if (w.emits_token && session_.generated(w.id) + 1 >= true_len_[w.id]) finished_.push_back(w.id);
  }
  completions_ = session_.commit(finished_);
  for (kv::RequestId id : plan_.failed) tokens_.erase(id);
  for (const kv::Completion& c : completions_) tokens_.erase(c.id);
  const kv::KvCounters k = session_.policy().counters();
  if (online_ != nullptr) {
    const std::int64_t drifts = kv::drift_detections(session_.policy());
    if (drifts > drifts_relayed_) online_->notify_drift();
    drifts_relayed_ = drifts;
  }
  for (const kv::Completion& c : completions_) {
    records_.push_back({c.id, c.predicted_output_tokens, c.output_tokens, c.final_tokens,
                        c.held_slots, k.overflows, k.grow_in_place, k.migrations,
                        session_.planner().failed()});
    if (online_ != nullptr) online_->observe(trace_.requests[c.id], caps_[c.id], c.output_tokens);
  }
  return completions_;
}

}  // namespace odma::sim
