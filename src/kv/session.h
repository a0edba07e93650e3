// The session core: one KV policy, the step planner over it, DESIGN.md's utilization meter and
// the debug validator — the one object the engine (serve/engine.h), `odma replay` and the
// simulator (sim/trace_driver.h) all drive, so their KV decisions cannot drift apart.
//
//   Session = make_policy(normalized config) + StepPlanner + UtilizationMeter (+ validator)
//
// Normalisation happens here, once (normalize_session_config), for every caller:
//   max_model_len      = min(kv.max_model_len, model_positions)          (model_positions > 0)
//   max_output_tokens  = min(max_output_tokens, max_model_len − 1)       (≤ 0 → max_model_len − 1)
//   odma.buckets       = clamp(odma.buckets, 1, ⌊max_model_len / granule⌋)
//   s3_max_output      = max_output_tokens, or min(kv.s3_max_output, it) when set (S3's range)
//   s3_buckets         = min(kv.s3_buckets, s3_max_output)
// and a request's generation cap is cap_for(prompt, asked) = min(asked, max_output_tokens,
// max_model_len − prompt).
//
// Metering (kv/metrics.h): one sample per step that computes something (plan_step() returned
// work), taken after planning, i.e. the occupancy during that step; one per completed request.
//
// Validation: with validate on (default: the build's ODMA_DEBUG level 2, base/debug.h) every
// plan, commit and cancel ends with policy.validate(), and a broken invariant throws odma::Error
// naming the policy and the step.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/debug.h"
#include "kv/metrics.h"
#include "kv/planner.h"
#include "kv/policy.h"

namespace odma::kv {

struct SessionConfig {
  std::string policy = "odma";         // make_policy name (policy_names())
  PolicyConfig kv;                     // capacity_tokens is the KV budget
  PlannerConfig planner;               // batch and step-token limits
  std::int32_t max_output_tokens = 0;  // generation cap per request; ≤ 0 = max_model_len − 1
  std::int32_t model_positions = 0;    // the model's max_position_embeddings (0 = no model)
  bool validate = kDebugLevel >= 2;    // policy.validate() after every operation (slow)
};

// The configuration every caller ends up with (see the top of this file). Throws odma::Error on a
// configuration no normalisation can repair (e.g. max_model_len < 2).
SessionConfig normalize_session_config(const SessionConfig& config);

// What a run of the session amounts to (what `odma replay` reports and the engine's stats use).
struct SessionSummary {
  double kv_utilization = 0;          // Σ stored ÷ Σ reserved over steps
  double capacity_usage = 0;          // Σ stored ÷ Σ capacity over steps
  double reservation_efficiency = 0;  // Σ final length ÷ Σ slots held at completion
  double mean_concurrency = 0;        // mean live requests per step
  std::int64_t steps = 0;             // metered steps
  std::int64_t completed = 0;
  KvCounters counters;                           // the policy's, plus the planner's failed requests
  std::vector<std::int32_t> final_bucket_edges;  // odma/s3 size classes at the end
};

class Session {
 public:
  // Normalises `config` and builds the policy and planner; throws odma::Error naming the field.
  explicit Session(const SessionConfig& config);

  const SessionConfig& config() const { return config_; }  // normalised

  // The generation cap of a request with `prompt_tokens` that asked for `asked` tokens.
  std::int32_t cap_for(std::int32_t prompt_tokens, std::int32_t asked) const;

  // Queues a request (FCFS). Throws odma::Error on a duplicate id. With `predict_at_admission`
  // its prediction comes from the admission predictor when it is first admitted (planner.h).
  void submit(const RequestSpec& spec, bool predict_at_admission = false);
  void set_admission_predictor(AdmissionPredictor predictor) {
    planner_.set_admission_predictor(std::move(predictor));
  }
  // Plans one step (planner.h) and meters it when it has work.
  [[nodiscard]] StepPlan plan();
  // Commits the last plan; completions are metered and already finished in the policy.
  std::vector<Completion> commit(std::span<const RequestId> finished);
  // Drops a request wherever it is and frees its KV; false if unknown.
  bool cancel(RequestId id);
  // Frees every cached prefix no running request reads (Policy::reset_prefix_cache).
  std::int64_t reset_prefix_cache();

  bool idle() const { return planner_.done(); }
  std::size_t waiting() const { return planner_.waiting(); }
  std::size_t running() const { return planner_.running(); }
  std::int32_t generated(RequestId id) const { return planner_.generated(id); }
  const Policy& policy() const { return *policy_; }
  const StepPlanner& planner() const { return planner_; }
  const UtilizationMeter& meter() const { return meter_; }
  SessionSummary summary() const;

 private:
  void check(const char* after) const;  // the validator, when on

  SessionConfig config_;
  std::unique_ptr<Policy> policy_;
  StepPlanner planner_;
  UtilizationMeter meter_;
  std::int64_t completed_ = 0;
};

}  // namespace odma::kv
