// The serving engine: continuous batching of real requests on a real model, with the KV cache in
// one arena managed by a kv::Policy.
//
//   Engine = Transformer + KvStorage(capacity slots) + kv::Policy + kv::StepPlanner
//
// One step():
//   1. plan   planner.plan_step(): decodes first, then chunked prefills, then admissions; the
//             policy grows/migrates/preempts as needed (kv/planner.h has the token accounting)
//   2. copy   model.copy_kv(plan.copies) BEFORE any compute: migrations and compaction move
//             stored K/V (memmove order), so the step reads every sequence where the policy says
//   3. batch  one BatchItem per work item: tokens = (prompt ++ output)[start_pos, start_pos + n),
//             KV layout from policy.allocation(id)->extents — contiguous: the extent chain;
//             paged: block table = each extent's offset, blocks of PolicyConfig::block_tokens
//   4. run    Transformer::forward over the whole batch (one matrix product per projection)
//   5. sample every emitting item with its own seeded Sampler; StopCriteria decides EOS / stop
//             string / forced / max_tokens
//   6. commit planner.commit_step(stopped): finished requests leave the policy (odma learns their
//             length)
// A preempted request keeps its tokens and sampler; the planner re-queues it and it recomputes
// its context by prefill (greedy output is unchanged by preemption).
//
// Bad input is rejected by submit() with odma::Error before anything changes, so one bad request
// never reaches forward() (which would fail the whole batch). A request the policy can never fit
// ends with FinishReason::kFailed; the others keep running. A failure that belongs to one request
// (its sampling, detokenization, stop strings, on_token) ends that request alone with
// FinishReason::kError, its KV freed; only a failure of the shared forward pass fails the step.
//
// Threads: forward() uses the model's thread pool; the engine itself is single-threaded (call
// submit/step/cancel from one thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "grammar/matcher.h"
#include "kv/session.h"
#include "model/kv_storage.h"
#include "model/sampling.h"
#include "model/transformer.h"
#include "predict/predictor.h"
#include "serve/engine_stats.h"
#include "serve/request.h"
#include "serve/stop_criteria.h"
#include "tokenizer/tokenizer.h"

namespace odma::serve {

// The session core's configuration (kv/session.h: policy, KV budget, planner, generation cap,
// validation; normalised there against the model's positions) plus what only the engine needs.
struct EngineConfig : kv::SessionConfig {
  // The output-length predictor (predict/predictor.h; nullptr = none). A request that arrives
  // without a prediction is predicted at submit, on the engine thread (µs); every request that
  // completes (EOS, stop string, length) is observed with its real output length, so the served
  // model's own lengths train the predictor while it serves. Owned by the engine's thread.
  std::shared_ptr<predict::Predictor> predictor;
  // KV arena to use instead of allocating one (its shape must match the model and it must hold
  // kv.capacity_tokens slots). Benchmarks pass the same arena to every policy: on a VM the
  // physical pages behind a fresh allocation can read at very different speeds (measured 31 vs
  // 52 GB/s on the CI machine), which would otherwise decide a comparison.
  std::shared_ptr<model::KvStorage> arena;
  // K/V dtype of the arena the engine allocates (nullopt: the model's default, BF16 for BF16
  // weights; `--kv-dtype`). kv.capacity_tokens counts slots whatever their size.
  std::optional<model::DType> kv_dtype;
  // Called with every sampled token before the engine processes it further (tests inject a fault
  // into one request here; a throw fails that request alone, as any failure of its own does).
  std::function<void(RequestId, std::int32_t token)> on_token;
};

struct TokenEvent {
  RequestId id = 0;
  std::int32_t token = 0;
};

struct StepResult {
  std::vector<TokenEvent> tokens;   // sampled this step, in batch order
  std::vector<RequestId> finished;  // requests that ended this step (any FinishReason)
  std::int32_t batch_items = 0;     // work items computed
};

class Engine {
 public:
  // `tokenizer` enables output text and stop strings. Throws odma::Error on a bad config.
  Engine(std::shared_ptr<const model::Transformer> model, const EngineConfig& config,
         std::optional<tokenizer::Tokenizer> tokenizer = std::nullopt);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Queues a request; returns its id. Throws odma::Error (engine unchanged) on an empty prompt, a
  // token id outside the vocabulary, a prompt that leaves no room under max_model_len, invalid
  // sampling parameters or stop strings without a tokenizer. max_tokens is clamped to
  // max_model_len − prompt. `arrival_s` (engine clock) defaults to now.
  RequestId submit(std::vector<std::int32_t> prompt, const RequestParams& params,
                   std::optional<double> arrival_s = std::nullopt);
  // `n` samples of one prompt (OpenAI's `n`): returns their ids, each an ordinary request with
  // its own sampler (seed + i, as vLLM seeds parallel samples) and its own KV extent. With prefix
  // caching the prompt is prefilled once: a hidden request computes it (and nothing else) and
  // leaves it cached; the samples are admitted when it ends, read the prompt from the cache
  // (up to its last token, which each recomputes for its own logits) and report the cached
  // tokens the group found. Without caching (off, or static) the samples prefill independently.
  // Throws odma::Error as submit() does, or for n < 1.
  std::vector<RequestId> submit_samples(std::vector<std::int32_t> prompt,
                                        const RequestParams& params, std::int32_t n,
                                        std::optional<double> arrival_s = std::nullopt);
  // The checks submit() makes, without queueing anything; const and touching no request state, so
  // a server's HTTP threads may call it while the engine thread steps.
  void validate(const std::vector<std::int32_t>& prompt, const RequestParams& params) const;

  // Runs one scheduler iteration (see top). Does nothing when idle().
  StepResult step();

  // Drops a waiting or running request and frees its KV. False if unknown or already finished.
  bool cancel(RequestId id);
  // Frees every cached prefix no running request reads; returns the slots freed.
  std::int64_t reset_prefix_cache();

  bool idle() const { return session_.idle(); }
  // Queued requests, the samples held behind their prompt's prefill included.
  std::size_t waiting() const { return session_.waiting() + held_samples_; }
  std::size_t running() const { return session_.running(); }

  // A live or finished (not yet taken) request. Throws odma::Error for an unknown id.
  const RequestOutput& output(RequestId id) const;
  // Finished requests, handed over and forgotten by the engine (in finishing order).
  std::vector<RequestOutput> take_finished();

  double now_s() const;  // engine clock: seconds since construction
  const model::Transformer& model() const { return *model_; }
  const kv::Session& session() const { return session_; }
  const kv::Policy& policy() const { return session_.policy(); }
  const kv::UtilizationMeter& meter() const { return session_.meter(); }
  const EngineCounters& counters() const { return counters_; }
  const kv::SessionConfig& config() const { return session_.config(); }  // normalised
  const predict::Predictor* predictor() const { return predictor_.get(); }
  std::int32_t max_model_len() const { return config().kv.max_model_len; }
  std::size_t kv_bytes() const { return storage_->bytes(); }

 private:
  struct Live {
    std::vector<std::int32_t> tokens;  // prompt ++ output
    std::string prompt_text;           // what the predictor read (observed again at completion)
    std::int32_t max_tokens = 0;       // the request's generation cap
    model::Sampler sampler;
    StopCriteria stop;
    RequestOutput out;
    std::int32_t logprobs = -1;         // RequestParams::logprobs
    std::int32_t prompt_logprobs = -1;  // RequestParams::prompt_logprobs
    bool hidden = false;  // a sample group's prompt prefill: no output, no counters, no observe
    std::optional<std::int32_t> group_cached;  // samples: the cached tokens their group found
    std::optional<grammar::Matcher> matcher;   // RequestParams::grammar's, where the output is
  };
  // A request built but not yet in the session (a sample behind its group's prompt prefill).
  struct Pending {
    kv::RequestSpec spec;
    bool predict_at_admission = false;
  };
  // Builds the request's Live entry and KV spec after validation; nothing enters the session.
  Pending make_live(std::vector<std::int32_t> prompt, const RequestParams& params, double arrival,
                    bool hidden);
  // Queues a built request in the session; a throw removes its Live entry.
  void enter_session(const Pending& p);
  // The group's prompt prefill `leader` ended: admit its samples, or end them alike.
  void release_samples(RequestId leader, FinishReason reason, std::int32_t cached,
                       const std::string& error);
  model::SeqKv layout(RequestId id) const;
  StepResult step_once();
  bool hidden(RequestId id) const;  // a live prompt prefill of a sample group
  // Takes a sample still held behind its group's prefill out of the group (stopping the prefill
  // when it was the last); false if `id` is not held.
  bool unhold(RequestId id);
  void finalize(RequestId id, FinishReason reason, std::string error = {});
  // Samples and post-processes `w`'s token (throws on a failure of this request alone).
  void emit(const kv::WorkItem& w, const float* logits, double now, StepResult& result,
            std::vector<RequestId>& stopped);
  // The logits `l`'s grammar allows (the others −∞), in masked_logits_; throws odma::Error when it
  // allows none.
  const float* constrain(Live& l, const float* logits, int vocab);
  // Records the prompt log-probabilities a prefill item's rows give (all_logits items).
  void score_prompt(const kv::WorkItem& w, const float* rows);

  std::shared_ptr<const model::Transformer> model_;
  kv::Session session_;
  std::shared_ptr<predict::Predictor> predictor_;
  std::int64_t drifts_relayed_ = 0;  // kv::drift_detections already passed to predictor_
  std::optional<tokenizer::Tokenizer> tokenizer_;
  std::shared_ptr<model::KvStorage> storage_;
  model::ForwardWorkspace workspace_;  // activations, sized for the step-token budget
  EngineCounters counters_;
  std::unordered_map<RequestId, Live> live_;
  std::unordered_map<RequestId, FinishReason> stopping_;      // decided this step, committed next
  std::unordered_map<RequestId, std::vector<Pending>> held_;  // prompt prefill → its samples
  std::size_t held_samples_ = 0;
  std::vector<RequestId> samples_ended_;  // samples ended with their prefill, for StepResult
  std::vector<RequestOutput> finished_;
  std::unordered_map<RequestId, std::size_t> finished_index_;
  RequestId next_id_ = 1;
  std::vector<float> logits_;
  grammar::VocabularyPtr grammar_vocabulary_;  // the tokens' bytes, built at the first grammar
  grammar::TokenMask mask_;                    // reused by constrain()
  std::vector<float> masked_logits_;           // reused by constrain()
  std::chrono::steady_clock::time_point epoch_;
  std::function<void(RequestId, std::int32_t)> on_token_;
};

}  // namespace odma::serve
