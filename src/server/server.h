// `odma serve`: the OpenAI-compatible HTTP server (docs/server.md).
//
//   start   bind host:port first, so /health answers 503 ("loading") while the model loads
//   load    the model, its tokenizer and chat template, the predictor, the engine loop
//   serve   HTTP threads (ConnectionPool) parse, enqueue and wait; one engine thread runs
//   drain   on SIGTERM/SIGINT (or request_shutdown()): new requests get 503, /health 503; the
//           accepted ones finish for up to shutdown_timeout_s, the rest end with an error event;
//           then the listener closes and run() returns 0
//
// Routes: POST /v1/chat/completions, POST /v1/completions, GET /v1/models[/{id}], POST /tokenize,
// POST /detokenize (vLLM's shapes), GET /health (200 serving; 503 loading or draining), GET /ready
// (also 503 while the queue is full: a load balancer's readiness probe), GET /metrics (Prometheus,
// server_metrics.h). With an API key, every route but /health, /ready and /metrics needs
// "Authorization: Bearer <key>".
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "kv/policy.h"
#include "model/safetensors.h"  // DType
#include "predict/online.h"
#include "server/served_model.h"
#include "server/server_metrics.h"

namespace httplib {
class Server;
}

namespace odma::server {

class ConnectionPool;

struct ServeOptions {
  std::string model_dir;
  std::string served_model_name;  // "" = the model directory's name
  std::string host = "127.0.0.1";
  int port = 8000;                           // 0 = any free port (printed on stderr)
  std::string policy = "odma";               // kv::policy_names()
  std::int64_t kv_memory_bytes = 1LL << 30;  // the KV arena, whatever the K/V dtype
  std::optional<model::DType> dtype;         // weights; nullopt = the checkpoint's (--dtype auto)
  std::optional<model::DType> kv_dtype;      // nullopt = BF16 for BF16 weights, else F32
  std::int32_t max_model_len = 0;            // 0 = the model's max_position_embeddings
  std::int32_t max_batch = 256;              // running requests at most
  std::string predictor = "bundled@0.5";  // predict/predictor_spec.h (model:PATH | bundled | none)
  bool prefix_caching = true;             // --enable-prefix-caching (vLLM's default: on)
  kv::GrowthRule growth = kv::GrowthRule::kNextBucket;  // odma's growth past a reservation
  std::size_t max_waiting = 1024;                       // accepted, not admitted; beyond: 429
  std::size_t max_body_bytes = 8u << 20;                // beyond: 413
  std::size_t max_connections = 256;  // connection threads; beyond (+ backlog): 503
  std::size_t backlog = 64;
  int read_timeout_s = 30, write_timeout_s = 30;
  double shutdown_timeout_s = 30;
  std::string api_key;                            // "" = no authentication
  std::optional<std::string> chat_template_file;  // overrides tokenizer_config.json's
  std::optional<std::string> tool_call_parser;    // vLLM's names; default: from the template
  // The learnt predictor, loaded at start when the file exists and saved every
  // predictor_save_interval_s while requests complete and at drain (predict/predictor_state.h).
  std::optional<std::string> predictor_state;
  double predictor_save_interval_s = 300;
  // Rates of the predictor's online learning and its reaction to a detected drift (online.h).
  predict::OnlineConfig predictor_online;
  std::optional<std::string> request_log;  // request_log.h
  bool request_log_prompts = true;         // --request-log-prompts text (default) | none
};

class Server {
 public:
  explicit Server(ServeOptions options);
  ~Server();

  // Binds, loads, serves until a shutdown is requested, drains; returns the exit code. Throws
  // odma::Error for a bad option, an unusable model or a port in use.
  int run();
  // Any thread (or a signal handler thread): begin the drain.
  void request_shutdown();
  // The port actually bound (after run() has bound; 0 before).
  [[nodiscard]] int port() const { return port_.load(); }

 private:
  void install_routes();
  void load();

  ServeOptions options_;
  std::shared_ptr<ServerMetrics> metrics_;
  std::unique_ptr<httplib::Server> http_;
  std::unique_ptr<ServedModel> model_;  // set once loaded; then const
  std::atomic<bool> ready_{false};
  std::atomic<bool> draining_{false};
  std::atomic<int> port_{0};
  std::atomic<ConnectionPool*> pool_{nullptr};  // owned by http_ while it listens
  std::mutex mu_;
  std::condition_variable shutdown_cv_;
  bool shutdown_requested_ = false;
};

// Turns SIGTERM and SIGINT into server.request_shutdown() (through a pipe and a watcher thread),
// and ignores SIGPIPE. Call once, before run().
void handle_termination_signals(Server& server);

}  // namespace odma::server
