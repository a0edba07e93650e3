// GET /metrics: vLLM's metrics under the `odma:` prefix (same suffixes, label `model_name`,
// histogram buckets from prometheus_buckets.h), so a dashboard or an inference gateway set up for
// vLLM needs only the prefix changed; then odma's own KV and predictor figures.
//
//   vLLM's (vllm/v1/metrics/loggers.py)          what odma reports
//   odma:num_requests_running           gauge    requests admitted to the KV policy (engine)
//   odma:num_requests_waiting           gauge    accepted, not yet admitted (engine + inbox)
//   odma:kv_cache_usage_perc            gauge    reserved ÷ capacity slots, 0..1 (vLLM: used
//                                                blocks ÷ blocks; for paged they coincide)
//   odma:prompt_tokens_total            counter  prompt tokens computed (recompute included)
//   odma:generation_tokens_total        counter  tokens sampled
//   odma:request_success_total          counter  {finished_reason="stop"|"length"|"abort"}
//   odma:num_preemptions_total          counter  KV preemptions (recompute)
//   odma:time_to_first_token_seconds    histogram  arrival → first token
//   odma:inter_token_latency_seconds    histogram  every gap between consecutive tokens
//   odma:request_time_per_output_token_seconds  histogram  (latency − TTFT) ÷ (tokens − 1)
//   odma:e2e_request_latency_seconds    histogram  arrival → last token
//   odma:request_queue_time_seconds     histogram  arrival → first admission
//   odma's own
//   odma:kv_utilization                 gauge    Σ stored ÷ Σ reserved over the steps so far
//                                                (DESIGN.md's KV utilization)
//   odma:kv_reserved_slots, odma:kv_stored_slots, odma:kv_capacity_slots, odma:kv_free_slots,
//   odma:kv_safety_pool_slots           gauges   the policy's occupancy now
//   odma:kv_bucket_upper_edge           gauge    {bucket="k"}: the adaptive (odma) or S3 size
//   classes odma:kv_overflows_total, odma:kv_grow_in_place_total, odma:kv_migrations_total,
//   odma:kv_chained_extents_total, odma:kv_copied_tokens_total   counters (kv/policy.h)
//   odma:prefix_cache_queries_total, odma:prefix_cache_hits_total  counters, prompt tokens
//   odma:kv_cached_slots, odma:kv_cached_idle_slots   gauges: prefix-cache slots (all / unread)
//   odma:predictor_abs_error_tokens     histogram  |predicted − actual output tokens| of finished
//                                                requests: the online-learning signal
//   odma:predictor_coverage             gauge    the quantile reservations are read at (moves
//                                                under --predictor ...@auto)
//   odma:predictor_miss_rate            gauge    share of recent completions (~200) longer than
//                                                their predicted length (@auto's target)
//   odma:predictor_drift_signals_total  counter  drifts odma's bucket detector passed on to the
//                                                predictor (kv::drift_detections)
//   odma:predictor_learning_boost       gauge    the multiplier on the online learning rates
//                                                now: 1, or more in the window after a drift
//   odma:requests_rejected_total        counter  {cause=...}: refused before the engine saw them
//
// Threads: the engine thread calls on_step / on_finished; any thread calls on_rejected and render.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "serve/engine.h"
#include "server/prometheus.h"

namespace odma::server {

class ServerMetrics {
 public:
  explicit ServerMetrics(std::string model_name);

  // Engine thread, after every step: gauges and counter deltas. `inbox_waiting` = accepted
  // requests the engine has not been handed yet.
  void on_step(const serve::Engine& engine, std::size_t inbox_waiting);
  // Engine thread: a request ended (completed, cancelled or failed).
  void on_finished(const serve::RequestOutput& output);
  // Any thread: a request was refused with `cause` (e.g. "queue_full", "draining", "invalid").
  void on_rejected(std::string_view cause);
  // Any thread, at a scrape: connection threads serving a connection now (the scrape's own
  // included) and the pool's size (--max-connections).
  void on_connections(std::size_t busy, std::size_t max);

  [[nodiscard]] std::string render() const { return registry_.render(); }
  [[nodiscard]] double rejected(std::string_view cause);  // for tests

 private:
  prometheus::Labels labels() const { return {{"model_name", model_name_}}; }
  void add_delta(prometheus::Counter& c, std::int64_t now, std::int64_t& last);

  std::string model_name_;
  prometheus::Registry registry_;
  prometheus::Gauge& running_;
  prometheus::Gauge& waiting_;
  prometheus::Gauge& usage_perc_;
  prometheus::Counter& prompt_tokens_;
  prometheus::Counter& generation_tokens_;
  prometheus::Counter& preemptions_;
  prometheus::Histogram& ttft_;
  prometheus::Histogram& itl_;
  prometheus::Histogram& tpot_;
  prometheus::Histogram& e2e_;
  prometheus::Histogram& queue_;
  prometheus::Gauge& kv_utilization_;
  prometheus::Gauge& reserved_;
  prometheus::Gauge& stored_;
  prometheus::Gauge& capacity_;
  prometheus::Gauge& free_;
  prometheus::Gauge& safety_pool_;
  prometheus::Counter& overflows_;
  prometheus::Counter& grow_in_place_;
  prometheus::Counter& migrations_;
  prometheus::Counter& chains_;
  prometheus::Counter& copied_;
  prometheus::Counter& prefix_queries_;
  prometheus::Counter& prefix_hits_;
  prometheus::Gauge& cached_;
  prometheus::Gauge& cached_idle_;
  prometheus::Histogram& predictor_error_;
  prometheus::Gauge& predictor_coverage_;
  prometheus::Gauge& predictor_miss_rate_;
  prometheus::Counter& predictor_drift_signals_;
  prometheus::Gauge& predictor_learning_boost_;
  std::int64_t last_drift_signals_ = 0;
  // Running totals last seen (counters take the differences).
  std::int64_t last_prompt_ = 0, last_generated_ = 0, last_preemptions_ = 0;
  std::int64_t last_overflows_ = 0, last_grow_ = 0, last_migrations_ = 0, last_chains_ = 0;
  std::int64_t last_copied_ = 0;
  std::int64_t last_prefix_queries_ = 0;
  std::int64_t last_prefix_hits_ = 0;
};

}  // namespace odma::server
