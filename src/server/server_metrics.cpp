#include "server/server_metrics.h"

#include "predict/predictor.h"
#include "server/prometheus_buckets.h"

namespace odma::server {
namespace {

// |predicted − actual| in tokens: 1-2-5 steps up to the longest generations.
constexpr double kErrorBuckets[] = {0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000};

std::string_view success_reason(serve::FinishReason r) {
  switch (r) {
    case serve::FinishReason::kEos:
    case serve::FinishReason::kStopString:
    case serve::FinishReason::kForced:
      return "stop";
    case serve::FinishReason::kLength:
      return "length";
    default:
      return "abort";
  }
}

}  // namespace

ServerMetrics::ServerMetrics(std::string model_name)
    : model_name_(std::move(model_name)),
      running_(registry_.gauge("odma:num_requests_running",
                               "Number of requests admitted to the KV cache and running.",
                               labels())),
      waiting_(registry_.gauge("odma:num_requests_waiting",
                               "Number of requests accepted and waiting to be admitted.",
                               labels())),
      usage_perc_(registry_.gauge("odma:kv_cache_usage_perc",
                                  "KV-cache usage: reserved slots / capacity (1 = full).",
                                  labels())),
      prompt_tokens_(registry_.counter("odma:prompt_tokens_total",
                                       "Number of prefill tokens processed.", labels())),
      generation_tokens_(registry_.counter("odma:generation_tokens_total",
                                           "Number of generation tokens processed.", labels())),
      preemptions_(registry_.counter("odma:num_preemptions_total",
                                     "Cumulative number of preemptions from the engine.",
                                     labels())),
      ttft_(registry_.histogram("odma:time_to_first_token_seconds",
                                "Histogram of time to first token in seconds.",
                                prometheus::kTimeToFirstTokenSeconds, labels())),
      itl_(registry_.histogram("odma:inter_token_latency_seconds",
                               "Histogram of inter-token latency in seconds.",
                               prometheus::kInterTokenLatencySeconds, labels())),
      tpot_(registry_.histogram("odma:request_time_per_output_token_seconds",
                                "Histogram of time_per_output_token_seconds per request.",
                                prometheus::kInterTokenLatencySeconds, labels())),
      e2e_(registry_.histogram("odma:e2e_request_latency_seconds",
                               "Histogram of e2e request latency in seconds.",
                               prometheus::kRequestLatencySeconds, labels())),
      queue_(registry_.histogram("odma:request_queue_time_seconds",
                                 "Histogram of time spent in WAITING phase for request.",
                                 prometheus::kRequestLatencySeconds, labels())),
      kv_utilization_(registry_.gauge(
          "odma:kv_utilization",
          "KV utilization: sum of tokens stored / sum of slots reserved over all steps so far.",
          labels())),
      reserved_(registry_.gauge("odma:kv_reserved_slots", "KV slots reserved by live requests.",
                                labels())),
      stored_(registry_.gauge("odma:kv_stored_slots", "Tokens stored by live requests.", labels())),
      capacity_(
          registry_.gauge("odma:kv_capacity_slots", "KV arena capacity in token slots.", labels())),
      free_(
          registry_.gauge("odma:kv_free_slots", "KV slots neither reserved nor cached.", labels())),
      safety_pool_(registry_.gauge("odma:kv_safety_pool_slots",
                                   "Free slots held back from admission for growth/migration.",
                                   labels())),
      overflows_(registry_.counter("odma:kv_overflows_total",
                                   "Growth calls past a request's reservation.", labels())),
      grow_in_place_(registry_.counter("odma:kv_grow_in_place_total",
                                       "Overflows served by extending the extent in place.",
                                       labels())),
      migrations_(registry_.counter("odma:kv_migrations_total",
                                    "Overflows served by moving to a larger extent (copy).",
                                    labels())),
      chains_(registry_.counter("odma:kv_chained_extents_total",
                                "Overflows served by appending an extent or paged block.",
                                labels())),
      copied_(registry_.counter("odma:kv_copied_tokens_total",
                                "Tokens copied by migrations and compaction.", labels())),
      prefix_queries_(registry_.counter(
          "odma:prefix_cache_queries_total",
          "Prompt tokens looked up in the prefix cache (vLLM v1's prefix_cache_queries).",
          labels())),
      prefix_hits_(registry_.counter(
          "odma:prefix_cache_hits_total",
          "Prompt tokens found in the prefix cache (vLLM v1's prefix_cache_hits).", labels())),
      cached_(registry_.gauge("odma:kv_cached_slots",
                              "KV slots the prefix cache holds (read by requests or idle).",
                              labels())),
      cached_idle_(registry_.gauge("odma:kv_cached_idle_slots",
                                   "Prefix-cache slots no live request reads (evictable).",
                                   labels())),
      predictor_error_(registry_.histogram(
          "odma:predictor_abs_error_tokens",
          "Absolute error of the output-length prediction of finished requests (tokens).",
          kErrorBuckets, labels())),
      predictor_coverage_(registry_.gauge(
          "odma:predictor_coverage",
          "Quantile of the predicted length distribution that reservations are read at.",
          labels())),
      predictor_miss_rate_(registry_.gauge(
          "odma:predictor_miss_rate",
          "Share of recent completions longer than their predicted length.", labels())),
      predictor_drift_signals_(registry_.counter(
          "odma:predictor_drift_signals_total",
          "Length drifts the KV bucket detector passed on to the predictor.", labels())),
      predictor_learning_boost_(registry_.gauge(
          "odma:predictor_learning_boost",
          "Multiplier on the predictor's online learning rates (above 1 after a drift).",
          labels())) {
  for (const char* cause : {"queue_full", "draining", "invalid", "context_length", "too_large",
                            "unauthorized", "not_found", "loading"})
    (void)registry_.counter("odma:requests_rejected_total",
                            "Requests refused before the engine, by cause.",
                            {{"model_name", model_name_}, {"cause", cause}});
}

void ServerMetrics::add_delta(prometheus::Counter& c, std::int64_t now, std::int64_t& last) {
  if (now > last) c.inc(static_cast<double>(now - last));
  last = now;
}

void ServerMetrics::on_step(const serve::Engine& engine, std::size_t inbox_waiting) {
  const kv::KvGauges g = engine.policy().gauges();
  const kv::KvCounters k = engine.policy().counters();
  const serve::EngineCounters& e = engine.counters();
  running_.set(static_cast<double>(engine.running()));
  waiting_.set(static_cast<double>(engine.waiting() + inbox_waiting));
  usage_perc_.set(g.capacity > 0 ? static_cast<double>(g.reserved) / static_cast<double>(g.capacity)
                                 : 0.0);
  kv_utilization_.set(engine.meter().kv_utilization());
  reserved_.set(static_cast<double>(g.reserved));
  stored_.set(static_cast<double>(g.used));
  capacity_.set(static_cast<double>(g.capacity));
  free_.set(static_cast<double>(g.free));
  safety_pool_.set(static_cast<double>(g.safety_pool));
  if (const predict::Predictor* p = engine.predictor()) {
    predictor_coverage_.set(p->coverage());
    predictor_miss_rate_.set(p->recent_miss_rate());
    predictor_learning_boost_.set(p->drift_boost_now());
    add_delta(predictor_drift_signals_, p->drift_signals(), last_drift_signals_);
  }
  add_delta(prompt_tokens_, e.prefill_tokens, last_prompt_);
  add_delta(generation_tokens_, e.output_tokens, last_generated_);
  add_delta(preemptions_, k.preemptions, last_preemptions_);
  add_delta(overflows_, k.overflows, last_overflows_);
  add_delta(grow_in_place_, k.grow_in_place, last_grow_);
  add_delta(migrations_, k.migrations, last_migrations_);
  add_delta(chains_, k.chains, last_chains_);
  add_delta(copied_, k.copied_tokens, last_copied_);
  add_delta(prefix_queries_, k.prefix_queries, last_prefix_queries_);
  add_delta(prefix_hits_, k.prefix_hits, last_prefix_hits_);
  cached_.set(static_cast<double>(g.cached));
  cached_idle_.set(static_cast<double>(g.cached_reclaimable));
  const std::vector<std::int32_t> edges = engine.policy().bucket_edges();
  for (std::size_t b = 0; b < edges.size(); ++b) {
    registry_
        .gauge("odma:kv_bucket_upper_edge",
               "Upper edge (slots) of each KV size class (odma: adaptive; s3: equal width).",
               {{"model_name", model_name_}, {"bucket", std::to_string(b)}})
        .set(edges[b]);
  }
}

void ServerMetrics::on_finished(const serve::RequestOutput& o) {
  registry_
      .counter(
          "odma:request_success_total", "Count of successfully processed requests.",
          {{"model_name", model_name_}, {"finished_reason", std::string(success_reason(o.finish))}})
      .inc();
  if (o.admitted_s >= 0) queue_.observe(o.admitted_s);
  if (o.token_s.empty()) return;
  ttft_.observe(o.first_token_s);
  e2e_.observe(o.latency_s());
  for (std::size_t i = 1; i < o.token_s.size(); ++i) itl_.observe(o.token_s[i] - o.token_s[i - 1]);
  if (o.token_s.size() >= 2) tpot_.observe(o.tpot_s());
  const bool served = o.finish != serve::FinishReason::kCancelled &&
                      o.finish != serve::FinishReason::kFailed &&
                      o.finish != serve::FinishReason::kError;
  if (served && o.predicted_output_tokens >= 0) {
    const auto actual = static_cast<std::int64_t>(o.output_ids.size());
    predictor_error_.observe(static_cast<double>(actual > o.predicted_output_tokens
                                                     ? actual - o.predicted_output_tokens
                                                     : o.predicted_output_tokens - actual));
  }
}

void ServerMetrics::on_connections(std::size_t busy, std::size_t max) {
  registry_
      .gauge("odma:http_connections_busy",
             "Connection threads serving a connection now (a scrape counts itself).", labels())
      .set(static_cast<double>(busy));
  registry_
      .gauge("odma:http_connections_max", "Connection threads of the server (--max-connections).",
             labels())
      .set(static_cast<double>(max));
}

void ServerMetrics::on_rejected(std::string_view cause) {
  registry_
      .counter("odma:requests_rejected_total", "Requests refused before the engine, by cause.",
               {{"model_name", model_name_}, {"cause", std::string(cause)}})
      .inc();
}

double ServerMetrics::rejected(std::string_view cause) {
  return registry_
      .counter("odma:requests_rejected_total", "Requests refused before the engine, by cause.",
               {{"model_name", model_name_}, {"cause", std::string(cause)}})
      .value();
}

}  // namespace odma::server
