#include "server/engine_loop.h"

#include <cstdio>

#include "base/error.h"

namespace odma::server {

EngineLoop::EngineLoop(std::unique_ptr<serve::Engine> engine,
                       std::shared_ptr<ServerMetrics> metrics, LoopLimits limits, LoopHooks hooks)
    : engine_(std::move(engine)),
      metrics_(std::move(metrics)),
      limits_(limits),
      hooks_(std::move(hooks)),
      last_checkpoint_(std::chrono::steady_clock::now()),
      max_model_len_(engine_->max_model_len()) {
  status_.kv_capacity = engine_->policy().gauges().capacity;
  thread_ = std::thread([this] { run(); });
}

EngineLoop::~EngineLoop() {
  abort_all("the server is shutting down");
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::variant<std::shared_ptr<RequestStream>, ApiError> EngineLoop::submit(
    std::vector<std::int32_t> prompt, serve::RequestParams params, std::int32_t n) {
  if (draining_) {
    metrics_->on_rejected("draining");
    return unavailable("the server is shutting down and accepts no new requests");
  }
  try {
    engine_->validate(prompt, params);  // const: safe beside the engine thread
  } catch (const Error& e) {
    metrics_->on_rejected("invalid");
    return bad_request(e.what());
  }
  auto stream = std::make_shared<RequestStream>(static_cast<std::size_t>(n));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (status_.waiting + pending_submits_ >= limits_.max_waiting) {
      metrics_->on_rejected("queue_full");
      return too_many_requests("the server's queue is full (" +
                               std::to_string(limits_.max_waiting) +
                               " requests waiting); retry shortly");
    }
    ++pending_submits_;
    inbox_.push_back(
        {Command::Kind::kSubmit, stream, std::move(prompt), std::move(params), n, {}, nullptr});
  }
  wake_.notify_one();
  return stream;
}

void EngineLoop::cancel(const std::shared_ptr<RequestStream>& stream) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Cancels jump the queue (llama.cpp's server does the same): the KV goes back at once.
    inbox_.push_front({Command::Kind::kCancel, stream, {}, {}, 1, {}, nullptr});
  }
  wake_.notify_one();
}

void EngineLoop::start_drain() {
  draining_ = true;
}

bool EngineLoop::wait_until_idle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_.wait_for(lock, timeout, [&] {
    return pending_submits_ == 0 && status_.waiting == 0 && status_.running == 0;
  });
}

std::int64_t EngineLoop::reset_prefix_cache() {
  auto done = std::make_shared<std::promise<std::int64_t>>();
  std::future<std::int64_t> freed = done->get_future();
  {
    std::lock_guard<std::mutex> lock(mu_);
    inbox_.push_back({Command::Kind::kResetPrefixCache, nullptr, {}, {}, 1, {}, done});
  }
  wake_.notify_one();
  return freed.get();
}

bool EngineLoop::checkpoint_now() {
  if (!hooks_.checkpoint) return false;
  auto done = std::make_shared<std::promise<std::int64_t>>();
  std::future<std::int64_t> saved = done->get_future();
  {
    std::lock_guard<std::mutex> lock(mu_);
    inbox_.push_back({Command::Kind::kCheckpoint, nullptr, {}, {}, 1, {}, done});
  }
  wake_.notify_one();
  return saved.get() == 1;
}

bool EngineLoop::run_checkpoint() {
  last_checkpoint_ = std::chrono::steady_clock::now();
  checkpointed_completions_ = engine_->counters().completed;
  try {
    hooks_.checkpoint(*engine_);
    return true;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "odma serve: checkpoint failed: %s\n", e.what());
    return false;
  }
}

void EngineLoop::abort_all(const std::string& reason) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    inbox_.push_front({Command::Kind::kAbortAll, nullptr, {}, {}, 1, reason, nullptr});
  }
  wake_.notify_one();
}

LoopStatus EngineLoop::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  LoopStatus s = status_;
  s.waiting += pending_submits_;
  return s;
}

void EngineLoop::end(serve::RequestId id, const serve::RequestOutput& output) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  const Choice choice = it->second;
  streams_.erase(it);
  if (auto owner = ids_.find(choice.stream.get()); owner != ids_.end()) {
    std::erase(owner->second, id);
    if (owner->second.empty()) ids_.erase(owner);
  }
  metrics_->on_finished(output);  // before the client hears: a /metrics read after it sees this
  if (hooks_.request_log) {
    auto prompt = prompts_.find(id);
    hooks_.request_log->write(output, prompt != prompts_.end() ? prompt->second : std::string(),
                              engine_->now_s());
    if (prompt != prompts_.end()) prompts_.erase(prompt);
  }
  if (output.finish == serve::FinishReason::kFailed) {
    fail_request(choice.stream, unavailable(output.error));
  } else if (output.finish == serve::FinishReason::kError) {
    fail_request(choice.stream, internal_error(output.error));
  } else {
    choice.stream->finish(choice.index, output);  // cancelled ones too: nobody reads them
  }
}

void EngineLoop::fail_request(const std::shared_ptr<RequestStream>& stream, ApiError error) {
  stream->fail(std::move(error));
  auto owner = ids_.find(stream.get());
  if (owner == ids_.end()) return;
  const std::vector<serve::RequestId> others = owner->second;
  for (serve::RequestId id : others) (void)engine_->cancel(id);
  end_finished();
}

void EngineLoop::end_finished() {
  for (serve::RequestOutput& o : engine_->take_finished()) end(o.id, o);
}

void EngineLoop::handle(Command& c) {
  switch (c.kind) {
    case Command::Kind::kSubmit: {
      {
        std::lock_guard<std::mutex> lock(mu_);
        --pending_submits_;
      }
      if (cancelled_early_.erase(c.stream.get()) != 0) break;  // its client already left
      try {
        const std::vector<serve::RequestId> ids =
            engine_->submit_samples(std::move(c.prompt), c.params, c.n);
        for (std::size_t i = 0; i < ids.size(); ++i) streams_[ids[i]] = {c.stream, i};
        if (hooks_.request_log) {
          for (serve::RequestId id : ids) prompts_[id] = c.params.prompt_text;
        }
        ids_[c.stream.get()] = ids;
      } catch (const Error& e) {  // validated already; kept for what only the engine sees
        c.stream->fail(bad_request(e.what()));
      }
      break;
    }
    case Command::Kind::kCancel: {
      auto it = ids_.find(c.stream.get());
      if (it == ids_.end()) {
        // Not in the engine: either it ended already, or its submit is still in the inbox.
        if (!c.stream->snapshot().done) cancelled_early_.insert(c.stream.get());
        break;
      }
      const std::vector<serve::RequestId> ids = it->second;
      for (serve::RequestId id : ids) (void)engine_->cancel(id);
      end_finished();
      break;
    }
    case Command::Kind::kResetPrefixCache:
      c.done->set_value(engine_->reset_prefix_cache());
      break;
    case Command::Kind::kCheckpoint:
      c.done->set_value(run_checkpoint() ? 1 : 0);
      break;
    case Command::Kind::kAbortAll: {
      std::vector<std::shared_ptr<RequestStream>> live;
      for (const auto& [id, choice] : streams_) live.push_back(choice.stream);
      for (const std::shared_ptr<RequestStream>& stream : live)
        fail_request(stream, unavailable(c.reason));
      end_finished();
      break;
    }
  }
}

void EngineLoop::publish_step(const serve::StepResult& step) {
  // Requests that produced a token publish their new text; ended ones are handed over.
  for (const serve::TokenEvent& t : step.tokens) {
    auto it = streams_.find(t.id);
    if (it == streams_.end()) continue;
    const serve::RequestOutput& o = engine_->output(t.id);
    if (o.finished()) continue;
    const Choice choice = it->second;
    try {
      choice.stream->publish(choice.index, o);
    } catch (const std::exception& e) {  // this request's failure: it ends alone
      fail_request(choice.stream, internal_error(std::string("request failed: ") + e.what()));
    }
  }
  end_finished();
}

void EngineLoop::refresh_status() {
  const kv::KvGauges g = engine_->policy().gauges();
  const serve::EngineCounters& e = engine_->counters();
  std::size_t inbox_waiting = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    status_.waiting = engine_->waiting();
    status_.running = engine_->running();
    status_.completed = e.completed;
    status_.cancelled = e.cancelled;
    status_.failed = e.failed;
    status_.kv_reserved = g.reserved;
    status_.kv_capacity = g.capacity;
    status_.steps = e.steps;
    inbox_waiting = pending_submits_;
  }
  metrics_->on_step(*engine_, inbox_waiting);
  idle_.notify_all();
}

void EngineLoop::run() {
  for (;;) {
    std::deque<Command> commands;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return stop_ || !inbox_.empty() || !engine_->idle(); });
      if (stop_ && inbox_.empty()) break;
      commands.swap(inbox_);
    }
    for (Command& c : commands) handle(c);
    if (!engine_->idle()) {
      try {
        publish_step(engine_->step());
      } catch (const std::exception& e) {
        // A step that throws (a kernel or invariant failure) fails what is live; the server stays.
        std::vector<std::shared_ptr<RequestStream>> live;
        for (const auto& [id, choice] : streams_) live.push_back(choice.stream);
        for (const std::shared_ptr<RequestStream>& stream : live)
          fail_request(stream, internal_error(std::string("engine step failed: ") + e.what()));
        end_finished();
      }
    }
    refresh_status();
    if (hooks_.checkpoint && engine_->counters().completed != checkpointed_completions_ &&
        std::chrono::steady_clock::now() - last_checkpoint_ >= hooks_.checkpoint_every)
      (void)run_checkpoint();
  }
}

}  // namespace odma::server
