#include "server/server.h"

#include <httplib.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "base/error.h"
#include "base/file_io.h"
#include "model/transformer.h"
#include "predict/predictor.h"
#include "predict/predictor_state.h"
#include "server/connections.h"
#include "server/generation.h"
#include "server/json_text.h"
#include "server/openai_response.h"
#include "server/prometheus.h"
#include "server/request_log.h"
#include "server/tokenize_request.h"

namespace odma::server {
namespace {

bool authorised(const ServeOptions& o, const httplib::Request& req) {
  if (o.api_key.empty()) return true;
  return req.get_header_value("Authorization") == "Bearer " + o.api_key;
}

bool open_route(const std::string& path) {
  return path == "/health" || path == "/ready" || path == "/metrics" || path == "/ping";
}

std::size_t content_length(const httplib::Request& req) {
  const std::string v = req.get_header_value("Content-Length");
  char* end = nullptr;
  const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
  return end != v.c_str() ? static_cast<std::size_t>(n) : req.body.size();
}

void send_json(httplib::Response& res, const nlohmann::json& body) {
  res.status = 200;
  res.set_content(to_json_text(body), "application/json");
}

// --chat-template FILE: a tokenizer_config.json-like JSON object with "chat_template", or the
// Jinja text itself (as vLLM's --chat-template). The model's special tokens apply either way.
tokenizer::ChatTemplate template_from_file(const std::string& path,
                                           const std::string& config_text) {
  const std::string text = read_file(path);
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  tokenizer::ChatTemplate t = j.is_object() && j.contains("chat_template")
                                  ? tokenizer::ChatTemplate::from_tokenizer_config(text, path)
                                  : tokenizer::ChatTemplate::parse(text, path);
  if (!config_text.empty()) {  // the served model's own tokens, over the file's
    const nlohmann::ordered_json config =
        nlohmann::ordered_json::parse(config_text, nullptr, false);
    if (config.is_object()) {
      for (const char* key : {"bos_token", "eos_token", "unk_token", "pad_token"}) {
        if (auto v = tokenizer::ChatTemplate::special_token(config, key))
          t.set_special_token(key, *v);
      }
    }
  }
  return t;
}

}  // namespace

Server::Server(ServeOptions options) : options_(std::move(options)) {
  if (options_.model_dir.empty()) throw Error("serve: --model DIR is required");
  if (options_.served_model_name.empty())
    options_.served_model_name =
        std::filesystem::path(options_.model_dir).lexically_normal().filename().string();
  if (options_.served_model_name.empty()) options_.served_model_name = "model";
  if (options_.port < 0 || options_.port > 65535)
    throw Error("serve: --port must be in [0, 65535]");
  if (options_.kv_memory_bytes <= 0) throw Error("serve: --kv-memory must be > 0");
  if (options_.max_waiting < 1 || options_.max_connections < 1)
    throw Error("serve: --max-waiting and --max-connections must be >= 1");
  metrics_ = std::make_shared<ServerMetrics>(options_.served_model_name);
  http_ = std::make_unique<httplib::Server>();
}

Server::~Server() = default;

void Server::request_shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutdown_requested_ = true;
  }
  shutdown_cv_.notify_all();
}

void Server::load() {
  const std::filesystem::path dir = options_.model_dir;
  auto model = std::make_unique<ServedModel>(ServedModel{options_.served_model_name,
                                                         0,
                                                         unix_time_now(),
                                                         tokenizer::Tokenizer::load(dir),
                                                         {},
                                                         nullptr,
                                                         std::nullopt});
  std::shared_ptr<const model::Transformer> transformer =
      model::Transformer::load(dir, model::LoadOptions{options_.dtype});

  // The chat template: --chat-template FILE, else tokenizer_config.json's (if it has one).
  const std::filesystem::path config_path = dir / "tokenizer_config.json";
  const std::string config_text =
      std::filesystem::exists(config_path) ? read_file(config_path) : std::string();
  if (options_.chat_template_file) {
    model->chat_template = template_from_file(*options_.chat_template_file, config_text);
  } else if (config_text.find("\"chat_template\"") != std::string::npos) {
    model->chat_template =
        tokenizer::ChatTemplate::from_tokenizer_config(config_text, config_path.string());
  }
  if (options_.tool_call_parser) {
    model->tool_call_format = parse_tool_call_parser_flag(*options_.tool_call_parser);
    if (!model->tool_call_format)
      throw Error("serve: " + tool_call_parser_flag_error(*options_.tool_call_parser));
  } else if (model->chat_template) {
    model->tool_call_format = detect_tool_call_format(model->chat_template->source());
  }

  serve::EngineConfig c;
  c.policy = options_.policy;
  c.kv_dtype = options_.kv_dtype.value_or(transformer->default_kv_dtype());
  const std::int64_t per_slot = transformer->kv_bytes_per_slot(c.kv_dtype);
  c.kv.capacity_tokens = options_.kv_memory_bytes / per_slot;
  if (c.kv.capacity_tokens < 1) {
    throw Error("serve: --kv-memory " + std::to_string(options_.kv_memory_bytes) +
                " bytes holds no KV slot of this model (" + std::to_string(per_slot) + " bytes)");
  }
  c.kv.max_model_len = options_.max_model_len > 0 ? options_.max_model_len
                                                  : transformer->config().max_position_embeddings;
  c.planner.max_batch = options_.max_batch;
  c.kv.prefix_caching = options_.prefix_caching;
  c.kv.odma.growth = options_.growth;
  const predict::PredictorSpec spec = predict::PredictorSpec::parse(options_.predictor);
  LoopHooks hooks;
  if (options_.predictor_state) {
    const std::filesystem::path state = *options_.predictor_state;
    const bool existed = std::filesystem::exists(state);
    c.predictor = predict::restore_predictor(spec, state, options_.served_model_name);
    std::fprintf(stderr, "odma serve: predictor state %s %s\n", state.c_str(),
                 existed ? "restored" : "not found: starting from --predictor, saving there");
    std::shared_ptr<predict::Predictor> predictor = c.predictor;
    const std::string name = options_.served_model_name;
    hooks.checkpoint = [predictor, state, name](const serve::Engine&) {
      predict::save_predictor_state(*predictor, state, name);
    };
    hooks.checkpoint_every = std::chrono::milliseconds(
        static_cast<long long>(options_.predictor_save_interval_s * 1000));
  } else {
    c.predictor = predict::make_serving_predictor(spec);
  }
  if (c.predictor) c.predictor->set_online(options_.predictor_online);
  if (options_.request_log)
    hooks.request_log =
        std::make_shared<RequestLog>(*options_.request_log, options_.request_log_prompts);
  auto engine = std::make_unique<serve::Engine>(transformer, c, model->tokenizer);
  model->max_model_len = engine->max_model_len();
  std::fprintf(stderr,
               "odma serve: model %s (%s), weights %s (%.2f GB), policy %s, KV %s %lld slots "
               "(%.1f MiB), max_model_len %d, predictor %s, prefix caching %s, kernels %s\n",
               model->name.c_str(), options_.model_dir.c_str(),
               model::to_string(transformer->weights().dtype()),
               static_cast<double>(transformer->weights().bytes()) / 1e9, options_.policy.c_str(),
               model::to_string(*c.kv_dtype), static_cast<long long>(c.kv.capacity_tokens),
               static_cast<double>(engine->kv_bytes()) / 1048576.0, model->max_model_len,
               options_.predictor.c_str(), options_.prefix_caching ? "on" : "off",
               transformer->kernels().name().c_str());
  model->loop = std::make_unique<EngineLoop>(std::move(engine), metrics_,
                                             LoopLimits{options_.max_waiting}, std::move(hooks));
  model_ = std::move(model);
}

void Server::install_routes() {
  httplib::Server& s = *http_;
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (rejecting_connection()) {
      res.set_header("Connection", "close");
      send_error(res, unavailable("too many connections; retry shortly"));
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!open_route(req.path) && !authorised(options_, req)) {
      metrics_->on_rejected("unauthorized");
      send_error(res, unauthorized());
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!open_route(req.path) && !ready_) {
      metrics_->on_rejected(draining_ ? "draining" : "loading");
      send_error(res, unavailable(draining_ ? "the server is shutting down"
                                            : "the model is still loading"));
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  s.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;  // ours already
        if (res.status == 413) {
          metrics_->on_rejected("too_large");
          send_error(res, payload_too_large(content_length(req), options_.max_body_bytes));
        } else if (res.status == 404) {
          metrics_->on_rejected("not_found");
          send_error(res, invalid_url(req.method, req.path));
        } else {
          send_error(res, ApiError{res.status, "HTTP error " + std::to_string(res.status),
                                   "invalid_request_error", "", ""});
        }
        return httplib::Server::HandlerResponse::Handled;
      }));

  auto health = [this](bool readiness) {
    return [this, readiness](const httplib::Request&, httplib::Response& res) {
      std::string state = draining_ ? "draining" : ready_ ? "ok" : "loading";
      if (readiness && state == "ok") {
        const LoopStatus st = model_->loop->status();
        if (st.waiting >= options_.max_waiting) state = "busy";
      }
      res.status = state == "ok" ? 200 : 503;
      res.set_content(to_json_text({{"status", state}}), "application/json");
    };
  };
  s.Get("/health", health(false));
  s.Get("/ready", health(true));
  s.Get("/ping", health(false));  // vLLM's alias (SageMaker)
  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    if (ConnectionPool* pool = pool_.load())
      metrics_->on_connections(pool->active(), pool->capacity());
    res.status = 200;
    res.set_content(metrics_->render(), std::string(prometheus::kContentType));
  });
  // vLLM's route for benchmarks: frees every cached prefix no running request reads.
  s.Post("/reset_prefix_cache", [this](const httplib::Request&, httplib::Response& res) {
    const std::int64_t freed = model_->loop->reset_prefix_cache();
    send_json(res, nlohmann::json{{"freed_slots", freed}});
  });
  s.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
    handle_generation(*model_, GenerationRequest::Kind::kChat, req, res);
  });
  s.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
    handle_generation(*model_, GenerationRequest::Kind::kCompletion, req, res);
  });
  auto card = [this] {
    return ModelCard{model_->name, model_->created, model_->max_model_len, "odma"};
  };
  s.Get("/v1/models", [card](const httplib::Request&, httplib::Response& res) {
    send_json(res, model_list({card()}));
  });
  s.Get(R"(/v1/models/(.+))", [this, card](const httplib::Request& req, httplib::Response& res) {
    if (req.matches[1] != model_->name)
      return send_error(res, model_not_found(req.matches[1].str()));
    send_json(res, to_json(card()));
  });
  s.Post("/tokenize", [this](const httplib::Request& req, httplib::Response& res) {
    auto parsed = parse_tokenize_request(std::string_view(req.body));
    if (auto* e = std::get_if<ApiError>(&parsed)) return send_error(res, *e);
    const TokenizeRequest& t = std::get<TokenizeRequest>(parsed);
    if (!t.model.empty() && t.model != model_->name)
      return send_error(res, model_not_found(t.model));
    std::vector<std::int32_t> ids;
    if (t.prompt) {
      ids = model_->tokenizer.encode(*t.prompt, t.add_special_tokens);
    } else {
      auto text = model_->render_chat(t.messages, t.add_generation_prompt, t.tools);
      if (auto* e = std::get_if<ApiError>(&text)) return send_error(res, *e);
      ids = model_->tokenizer.encode(std::get<std::string>(text), t.add_special_tokens);
    }
    send_json(res, tokenize_response(ids, model_->max_model_len));
  });
  s.Post("/detokenize", [this](const httplib::Request& req, httplib::Response& res) {
    auto parsed = parse_detokenize_request(std::string_view(req.body));
    if (auto* e = std::get_if<ApiError>(&parsed)) return send_error(res, *e);
    const DetokenizeRequest& d = std::get<DetokenizeRequest>(parsed);
    if (!d.model.empty() && d.model != model_->name)
      return send_error(res, model_not_found(d.model));
    const int vocab = static_cast<int>(model_->tokenizer.vocab_size());
    for (std::size_t i = 0; i < d.tokens.size(); ++i) {
      if (d.tokens[i] < 0 || d.tokens[i] >= vocab) {
        return send_error(
            res, bad_request("tokens[" + std::to_string(i) + "] = " + std::to_string(d.tokens[i]) +
                                 " is outside the vocabulary [0, " + std::to_string(vocab) + ")",
                             "tokens"));
      }
    }
    send_json(res, detokenize_response(model_->tokenizer.decode(d.tokens)));
  });
}

int Server::run() {
  httplib::Server& s = *http_;
  s.new_task_queue = [this] {
    auto* pool = new ConnectionPool(options_.max_connections, options_.backlog);
    pool_.store(pool);
    return pool;
  };
  // cpp-httplib 0.11 listens with a backlog of 5: a burst of connections overflows it and the
  // kernel makes the rest retry their SYN a second later. Keep the listening socket to listen()
  // on it again with a real backlog once bound (Linux updates the backlog of a listening socket).
  int listen_fd = -1;
  s.set_socket_options([&listen_fd](socket_t fd) {
    // SO_REUSEADDR only (a restart may bind at once over TIME_WAIT), not httplib's default
    // SO_REUSEPORT: with it a second server on a taken port would start and silently share it.
    int yes = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_fd = fd;
  });
  s.set_payload_max_length(options_.max_body_bytes);
  s.set_read_timeout(options_.read_timeout_s, 0);
  s.set_write_timeout(options_.write_timeout_s, 0);
  s.set_keep_alive_timeout(5);
  install_routes();
  const int port = options_.port == 0
                       ? s.bind_to_any_port(options_.host)
                       : (s.bind_to_port(options_.host, options_.port) ? options_.port : -1);
  if (port <= 0) {
    throw Error("serve: cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                " (in use, or not an address of this machine)");
  }
  port_ = port;
  if (listen_fd >= 0) ::listen(listen_fd, SOMAXCONN);
  std::thread listener([&s] { s.listen_after_bind(); });
  std::fprintf(stderr, "odma serve: listening on http://%s:%d (loading %s)\n",
               options_.host.c_str(), port, options_.model_dir.c_str());
  try {
    load();
  } catch (...) {
    s.stop();
    listener.join();
    throw;
  }
  ready_ = true;
  std::fprintf(stderr, "odma serve: ready\n");

  {
    std::unique_lock<std::mutex> lock(mu_);
    shutdown_cv_.wait(lock, [&] { return shutdown_requested_; });
  }
  // Drain: refuse new work, let the accepted requests finish, then end the rest with an error.
  draining_ = true;
  ready_ = false;
  model_->loop->start_drain();
  const auto timeout =
      std::chrono::milliseconds(static_cast<long long>(options_.shutdown_timeout_s * 1000));
  std::fprintf(stderr, "odma serve: draining (up to %.0f s)\n", options_.shutdown_timeout_s);
  const bool finished = model_->loop->wait_until_idle(timeout);
  if (!finished) model_->loop->abort_all("the server shut down before this request finished");
  (void)model_->loop->wait_until_idle(std::chrono::seconds(5));
  if (options_.predictor_state && model_->loop->checkpoint_now())
    std::fprintf(stderr, "odma serve: predictor state saved to %s\n",
                 options_.predictor_state->c_str());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // handlers send their last bytes
  s.stop();
  listener.join();
  const LoopStatus st = model_->loop->status();
  std::fprintf(stderr, "odma serve: stopped (%lld completed, %lld cancelled, %lld failed)\n",
               static_cast<long long>(st.completed), static_cast<long long>(st.cancelled),
               static_cast<long long>(st.failed));
  return 0;
}

namespace {

int g_signal_pipe[2] = {-1, -1};

// Async-signal-safe: one byte down the pipe; the watcher thread does the rest.
void on_termination_signal(int sig) {
  const unsigned char b = static_cast<unsigned char>(sig);
  [[maybe_unused]] const ssize_t n = write(g_signal_pipe[1], &b, 1);
}

}  // namespace

void handle_termination_signals(Server& server) {
  // A handler, not a blocked mask: threads that libraries start on their own (OpenBLAS's) would
  // not inherit the mask and take the default action.
  if (pipe(g_signal_pipe) != 0) throw Error("serve: cannot create the signal pipe");
  struct sigaction sa {};
  sa.sa_handler = on_termination_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a vanished client must not kill the server
  std::thread([&server] {
    unsigned char sig = 0;
    while (read(g_signal_pipe[0], &sig, 1) != 1) {
    }
    std::fprintf(stderr, "odma serve: %s received\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    server.request_shutdown();
  }).detach();
}

}  // namespace odma::server
