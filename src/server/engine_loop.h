// The engine thread: the only thread that touches serve::Engine (llama.cpp's server-context).
// HTTP threads hand it work through an inbox and wait on their request's RequestStream; they
// never call the engine.
//
//   HTTP thread                      engine thread (run)
//   submit(prompt, params) ────────▶ inbox ─▶ engine.submit ─▶ step() while there is work
//        │ stream                               │ after every step: publish each request's output
//        ▼                                      ▼ to its stream; finished → finish(); metrics
//   stream.wait_for(...)  ◀─────────────────────┘
//   cancel(stream) ────────────────▶ inbox ─▶ engine.cancel: KV freed at the next loop turn
//
// Admission control happens in submit(), before anything is queued: 503 while draining, 429
// (with a retry hint) when `max_waiting` requests are already waiting; an invalid request is a
// 400 from the same checks the engine makes (Engine::validate). A cancel takes effect within one
// step (the loop drains the inbox between steps), so a vanished client's KV is free well within
// a second.
//
// Drain (SIGTERM): start_drain() refuses new work; wait_until_idle(timeout) lets the accepted
// requests finish; abort_all(reason) then ends the rest with an error in their streams.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include "serve/engine.h"
#include "server/openai_error.h"
#include "server/request_log.h"
#include "server/request_stream.h"
#include "server/server_metrics.h"

namespace odma::server {

struct LoopLimits {
  std::size_t max_waiting = 1024;  // accepted but not yet admitted requests, at most
};

// Optional duties of the engine thread.
struct LoopHooks {
  // Called on the engine thread (so it may read the engine, its predictor included): every
  // `checkpoint_every` while requests complete, and at checkpoint_now(). A throw is logged.
  std::function<void(const serve::Engine&)> checkpoint;
  std::chrono::milliseconds checkpoint_every{std::chrono::minutes(5)};
  // Every request that ended by itself is written here with its prompt text (request_log.h).
  std::shared_ptr<RequestLog> request_log;
};

// What /health, /metrics and the logs read, updated by the engine thread after every step.
struct LoopStatus {
  std::size_t waiting = 0;  // accepted, not admitted (inbox included)
  std::size_t running = 0;  // admitted
  std::int64_t completed = 0, cancelled = 0, failed = 0;
  std::int64_t kv_reserved = 0, kv_capacity = 0;
  std::int64_t steps = 0;
};

class EngineLoop {
 public:
  // Starts the engine thread. The engine must not be used by anyone else from now on.
  EngineLoop(std::unique_ptr<serve::Engine> engine, std::shared_ptr<ServerMetrics> metrics,
             LoopLimits limits, LoopHooks hooks = {});
  ~EngineLoop();  // aborts what is left and joins the thread
  EngineLoop(const EngineLoop&) = delete;
  EngineLoop& operator=(const EngineLoop&) = delete;

  // Any thread. The stream of the accepted request (`n` samples of the prompt, one choice each:
  // Engine::submit_samples), or why it was refused. A failure of one choice fails the request
  // and cancels its other choices.
  [[nodiscard]] std::variant<std::shared_ptr<RequestStream>, ApiError> submit(
      std::vector<std::int32_t> prompt, serve::RequestParams params, std::int32_t n = 1);
  // Any thread: the client is gone; the request's KV (every choice's) is released at the next
  // loop turn.
  void cancel(const std::shared_ptr<RequestStream>& stream);

  void start_drain();
  [[nodiscard]] bool draining() const { return draining_.load(); }
  // True once nothing is waiting or running (every accepted request ended), false at timeout.
  bool wait_until_idle(std::chrono::milliseconds timeout);
  // Ends every request still in the engine with a 503 error event carrying `reason`.
  void abort_all(const std::string& reason);
  // Any thread: frees every cached prefix no running request reads, between two steps; returns
  // the slots freed (vLLM's /reset_prefix_cache).
  std::int64_t reset_prefix_cache();
  // Any thread: runs the checkpoint on the engine thread between two steps and waits for it
  // (drain calls it last). False when there is no checkpoint or it failed (logged).
  bool checkpoint_now();

  [[nodiscard]] LoopStatus status() const;
  // Read-only facts about the served model, safe from any thread (fixed at construction).
  [[nodiscard]] std::int32_t max_model_len() const { return max_model_len_; }
  [[nodiscard]] const serve::Engine& engine_for_validation() const { return *engine_; }

 private:
  struct Command {
    enum class Kind : std::uint8_t {
      kSubmit,
      kCancel,
      kAbortAll,
      kResetPrefixCache,
      kCheckpoint
    } kind;
    std::shared_ptr<RequestStream> stream;
    std::vector<std::int32_t> prompt;
    serve::RequestParams params;
    std::int32_t n = 1;                                // kSubmit: samples
    std::string reason;                                // kAbortAll
    std::shared_ptr<std::promise<std::int64_t>> done;  // kResetPrefixCache: the slots freed;
                                                       // kCheckpoint: 1 saved, 0 not
  };

  void run();
  void handle(Command& c);
  void publish_step(const serve::StepResult& step);
  void end(serve::RequestId id, const serve::RequestOutput& output);
  // Ends the request behind `stream` with `error`: its stream fails, its choices are cancelled.
  void fail_request(const std::shared_ptr<RequestStream>& stream, ApiError error);
  // Hands every output the engine finished over to its stream.
  void end_finished();
  void refresh_status();
  bool run_checkpoint();  // engine thread

  std::unique_ptr<serve::Engine> engine_;
  std::shared_ptr<ServerMetrics> metrics_;
  LoopLimits limits_;
  LoopHooks hooks_;
  std::chrono::steady_clock::time_point last_checkpoint_;
  std::int64_t checkpointed_completions_ = 0;
  std::int32_t max_model_len_ = 0;

  mutable std::mutex mu_;         // guards inbox_, status_, pending_submits_
  std::condition_variable wake_;  // the engine thread waits on it when idle
  std::condition_variable idle_;  // wait_until_idle waits on it
  std::deque<Command> inbox_;
  std::size_t pending_submits_ = 0;  // submits in the inbox
  LoopStatus status_;
  std::atomic<bool> draining_{false};
  std::atomic<bool> stop_{false};

  // Engine thread only.
  struct Choice {
    std::shared_ptr<RequestStream> stream;
    std::size_t index = 0;  // of the choice in its request
  };
  std::unordered_map<serve::RequestId, Choice> streams_;
  std::unordered_map<const RequestStream*, std::vector<serve::RequestId>> ids_;  // live choices
  std::unordered_map<serve::RequestId, std::string> prompts_;  // for the request log
  // Streams cancelled while their submit was still in the inbox (the cancel overtook it).
  std::unordered_set<const RequestStream*> cancelled_early_;

  std::thread thread_;  // last: starts after every member above exists
};

}  // namespace odma::server
