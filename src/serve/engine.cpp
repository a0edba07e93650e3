#include "serve/engine.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <utility>

#include "base/error.h"
#include "grammar/tokenizer_vocabulary.h"
#include "kv/policy_odma.h"

namespace odma::serve {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The session core's config with the model's positions filled in (Session normalises the rest).
kv::SessionConfig session_config(const EngineConfig& config, const model::Transformer& model) {
  kv::SessionConfig c = config;
  c.model_positions = model.config().max_position_embeddings;
  return c;
}

// The caller's arena after checking it fits, else a fresh one.
std::shared_ptr<model::KvStorage> arena_for(const EngineConfig& config, const kv::SessionConfig& c,
                                            const model::Transformer& m) {
  const std::shared_ptr<model::KvStorage>& arena = config.arena;
  if (!arena) return m.make_storage(c.kv.capacity_tokens, config.kv_dtype);
  const model::ModelConfig& mc = m.config();
  if (arena->num_layers() != mc.num_layers || arena->num_kv_heads() != mc.num_kv_heads ||
      arena->head_dim() != mc.head_dim) {
    throw Error("engine: the given KV arena's shape does not match the model");
  }
  if (arena->capacity() < c.kv.capacity_tokens) {
    throw Error("engine: the given KV arena holds " + std::to_string(arena->capacity()) +
                " slots, fewer than the budget of " + std::to_string(c.kv.capacity_tokens));
  }
  return arena;
}

}  // namespace

Engine::Engine(std::shared_ptr<const model::Transformer> model, const EngineConfig& config,
               std::optional<tokenizer::Tokenizer> tokenizer)
    : model_(std::move(model)),
      session_(session_config(config, *model_)),
      predictor_(config.predictor),
      tokenizer_(std::move(tokenizer)),
      storage_(arena_for(config, session_.config(), *model_)),
      workspace_(model_->make_workspace(session_.config().planner.step_token_budget)),
      epoch_(Clock::now()),
      on_token_(config.on_token) {
  if (predictor_) {
    // Predict as late as possible, when the request is first admitted: with all it has learnt.
    session_.set_admission_predictor([this](const kv::RequestSpec& spec) {
      Live& l = live_.at(spec.id);
      kv::LengthPrediction p =
          predictor_->predict(l.prompt_text, spec.prompt_tokens, spec.max_output_tokens);
      p.output_tokens = std::clamp(p.output_tokens, 1, spec.max_output_tokens);
      l.out.predicted_output_tokens = p.output_tokens;
      return p;
    });
  }
}

Engine::~Engine() = default;

double Engine::now_s() const {
  return seconds_since(epoch_);
}

void Engine::validate(const std::vector<std::int32_t>& prompt, const RequestParams& params) const {
  const int vocab = model_->config().vocab_size;
  const std::int32_t max_len = max_model_len();
  if (prompt.empty()) throw Error("request: empty prompt (give at least one token)");
  for (std::size_t i = 0; i < prompt.size(); ++i) {
    if (prompt[i] < 0 || prompt[i] >= vocab) {
      throw Error("request: prompt token " + std::to_string(i) + " is id " +
                  std::to_string(prompt[i]) + ", outside the vocabulary [0, " +
                  std::to_string(vocab) + ")");
    }
  }
  if (prompt.size() >= static_cast<std::size_t>(max_len)) {
    throw Error("request: prompt of " + std::to_string(prompt.size()) +
                " tokens leaves no room for output under the model's max length of " +
                std::to_string(max_len) + " positions");
  }
  params.sampling.validate();  // throws odma::Error naming the field
  if (params.forced_output_tokens < 0) throw Error("request: forced_output_tokens must be >= 0");
  for (const auto& [name, value] : {std::pair{"logprobs", params.logprobs},
                                    std::pair{"prompt_logprobs", params.prompt_logprobs}}) {
    if (value < -1 || value > model::kMaxTopLogprobs) {
      throw Error(std::string("request: ") + name + " must be in [0, " +
                  std::to_string(model::kMaxTopLogprobs) + "] (or -1 for none), got " +
                  std::to_string(value));
    }
  }
  if (!params.stop.empty() && !tokenizer_)
    throw Error("request: stop strings need the model's tokenizer (the engine has none)");
  if (params.grammar) {
    if (!tokenizer_)
      throw Error("request: a structured output needs the model's tokenizer (the engine has none)");
    if (model_->config().eos_token_ids.empty())
      throw Error("request: a structured output needs an EOS id to end on (the model has none)");
    if (params.sampling.ignore_eos)
      throw Error("request: a structured output ends on EOS; it cannot take ignore_eos");
  }
}

Engine::Pending Engine::make_live(std::vector<std::int32_t> prompt, const RequestParams& params,
                                  double arrival, bool hidden) {
  const auto n = static_cast<std::int32_t>(prompt.size());
  RequestParams p = params;
  p.sampling.max_tokens = session_.cap_for(n, p.sampling.max_tokens);

  Pending pending;
  kv::RequestSpec& spec = pending.spec;
  spec.id = next_id_++;
  spec.prompt_tokens = n;
  spec.max_output_tokens = p.sampling.max_tokens;
  std::string prompt_text;  // the predictor reads it at admission and learns from it at completion
  if (predictor_ && !hidden) {
    prompt_text = !p.prompt_text.empty() ? p.prompt_text
                  : tokenizer_           ? tokenizer_->decode(prompt, /*skip_special=*/true)
                                         : std::string();
  }
  pending.predict_at_admission = !p.prediction && predictor_;
  spec.prediction =
      p.prediction.value_or(kv::LengthPrediction{p.sampling.max_tokens, 1.0, -1, nullptr, 0.0});
  spec.prediction.output_tokens =
      std::clamp(spec.prediction.output_tokens, 1, p.sampling.max_tokens);

  Live live{std::move(prompt),
            std::move(prompt_text),
            p.sampling.max_tokens,
            model::Sampler(p.sampling),
            StopCriteria(p, model_->config().eos_token_ids, tokenizer_ ? &*tokenizer_ : nullptr),
            RequestOutput{},
            p.logprobs,
            p.prompt_logprobs,
            hidden,
            std::nullopt,
            std::nullopt};
  if (p.grammar && !hidden) {
    if (!grammar_vocabulary_) {
      grammar_vocabulary_ = grammar::vocabulary_from_tokenizer(
          *tokenizer_, model_->config().eos_token_ids, model_->config().vocab_size);
    }
    live.matcher.emplace(p.grammar, grammar_vocabulary_);
  }
  live.out.id = spec.id;
  live.out.prompt_tokens = n;
  live.out.arrival_s = arrival;
  live.out.predicted_output_tokens = p.prediction ? spec.prediction.output_tokens : -1;
  if (p.prompt_logprobs >= 0) live.out.prompt_logprobs.assign(static_cast<std::size_t>(n), {});
  // The KV layer reads the request's tokens (prefix caching): they live in live_ (map nodes are
  // stable), prompt first, each sampled token appended.
  auto [it, inserted] = live_.emplace(spec.id, std::move(live));
  if (p.prompt_logprobs < 0) spec.tokens = &it->second.tokens;  // else: no prefix caching
  return pending;
}

RequestId Engine::submit(std::vector<std::int32_t> prompt, const RequestParams& params,
                         std::optional<double> arrival_s) {
  validate(prompt, params);
  const Pending p = make_live(std::move(prompt), params, arrival_s.value_or(now_s()), false);
  try {
    session_.submit(p.spec, p.predict_at_admission);  // after every check: a throw leaves no trace
  } catch (...) {
    live_.erase(p.spec.id);
    throw;
  }
  return p.spec.id;
}

std::vector<RequestId> Engine::submit_samples(std::vector<std::int32_t> prompt,
                                              const RequestParams& params, std::int32_t n,
                                              std::optional<double> arrival_s) {
  if (n < 1) throw Error("request: n must be >= 1, got " + std::to_string(n));
  validate(prompt, params);
  const double arrival = arrival_s.value_or(now_s());
  auto sample_params = [&](std::int32_t i) {
    RequestParams p = params;
    p.sampling.seed = params.sampling.seed + static_cast<std::uint64_t>(i);  // vLLM's rule
    return p;
  };
  std::vector<RequestId> ids;
  // Scoring the prompt reads nothing from the cache, so a shared prefill would not be shared.
  if (n == 1 || !policy().prefix_caching() || params.prompt_logprobs >= 0) {
    try {
      for (std::int32_t i = 0; i < n; ++i) ids.push_back(submit(prompt, sample_params(i), arrival));
    } catch (...) {
      for (RequestId id : ids) (void)cancel(id);
      throw;
    }
    return ids;
  }
  // The prompt's prefill: greedy, exactly one token (its logits are discarded), so the prompt's
  // K/V is computed once and left in the prefix cache when it ends.
  RequestParams prefill;
  prefill.sampling.ignore_eos = true;
  prefill.sampling.max_tokens = 1;
  prefill.forced_output_tokens = 1;
  prefill.prediction = kv::LengthPrediction{1, 0.0, -1, nullptr, 0.0};
  const Pending leader = make_live(prompt, prefill, arrival, /*hidden=*/true);
  std::vector<Pending> samples;
  for (std::int32_t i = 0; i < n; ++i) {
    samples.push_back(make_live(prompt, sample_params(i), arrival, false));
    ids.push_back(samples.back().spec.id);
  }
  try {
    session_.submit(leader.spec, false);
  } catch (...) {
    live_.erase(leader.spec.id);
    for (RequestId id : ids) live_.erase(id);
    throw;
  }
  held_samples_ += samples.size();
  held_[leader.spec.id] = std::move(samples);
  return ids;
}

void Engine::release_samples(RequestId leader, FinishReason reason, std::int32_t cached,
                             const std::string& error) {
  auto it = held_.find(leader);
  if (it == held_.end()) return;
  const std::vector<Pending> samples = std::move(it->second);
  held_.erase(it);
  held_samples_ -= samples.size();
  const bool prefilled = reason != FinishReason::kCancelled && reason != FinishReason::kFailed &&
                         reason != FinishReason::kError;
  for (const Pending& p : samples) {
    const RequestId id = p.spec.id;
    if (prefilled) {
      live_.at(id).group_cached = cached;
      try {
        session_.submit(p.spec, p.predict_at_admission);
        continue;
      } catch (const std::exception& e) {
        finalize(id, FinishReason::kError, std::string("request failed: ") + e.what());
      }
    } else {
      finalize(id, reason, error);
    }
    samples_ended_.push_back(id);
  }
}

model::SeqKv Engine::layout(RequestId id) const {
  const kv::Allocation* a = policy().allocation(id);
  if (a == nullptr) throw Error("engine: request " + std::to_string(id) + " has no KV allocation");
  if (policy().contiguous()) {
    // Cached shared runs first (read-only), then the request's own extents.
    std::vector<kv::Extent> runs = a->shared;
    runs.insert(runs.end(), a->extents.begin(), a->extents.end());
    return model::SeqKv::contiguous(std::move(runs));
  }
  std::vector<std::int64_t> table;
  table.reserve(a->extents.size());
  const std::int64_t bt = config().kv.block_tokens;
  for (const kv::Extent& r : a->shared) {  // whole cached blocks
    for (std::int64_t at = 0; at < r.length; at += bt) table.push_back(r.offset + at);
  }
  for (const kv::Extent& e : a->extents) {
    if (e.length != config().kv.block_tokens) {
      throw Error("engine: paged policy returned an extent of " + std::to_string(e.length) +
                  " slots, expected blocks of " + std::to_string(config().kv.block_tokens));
    }
    table.push_back(e.offset);
  }
  return model::SeqKv::paged(std::move(table), config().kv.block_tokens);
}

void Engine::finalize(RequestId id, FinishReason reason, std::string error) {
  auto it = live_.find(id);
  if (it == live_.end()) return;
  Live& l = it->second;
  if (l.hidden) {  // a group's prompt prefill: its samples go on (or end) in its place
    const std::int32_t cached = l.out.cached_tokens;
    live_.erase(it);
    release_samples(id, reason, cached, error);
    return;
  }
  l.stop.finish();
  // Learn from every request the model finished by itself (not the cancelled or failed ones).
  const bool ended_badly = reason == FinishReason::kFailed || reason == FinishReason::kError;
  if (predictor_ && !ended_badly && reason != FinishReason::kCancelled && !l.prompt_text.empty()) {
    predictor_->observe(l.prompt_text, l.out.prompt_tokens, l.max_tokens,
                        static_cast<std::int32_t>(l.out.output_ids.size()));
  }
  l.out.text = l.stop.text();
  l.out.finish = reason;
  l.out.error = std::move(error);
  if (ended_badly) {
    ++counters_.failed;
  } else if (reason == FinishReason::kCancelled) {
    ++counters_.cancelled;
  } else {
    ++counters_.completed;
  }
  finished_index_[id] = finished_.size();
  finished_.push_back(std::move(l.out));
  live_.erase(it);
}

bool Engine::hidden(RequestId id) const {
  auto it = live_.find(id);
  return it != live_.end() && it->second.hidden;
}

StepResult Engine::step() {
  StepResult result;
  if (idle()) return result;
  result = step_once();
  // Samples that ended with their group's prompt prefill (it failed) end in this step too.
  result.finished.insert(result.finished.end(), samples_ended_.begin(), samples_ended_.end());
  samples_ended_.clear();
  return result;
}

StepResult Engine::step_once() {
  StepResult result;
  const Clock::time_point t0 = Clock::now();
  kv::StepPlan plan = session_.plan();
  for (RequestId id : plan.failed) {
    const bool internal = hidden(id);
    finalize(id, FinishReason::kFailed,
             "the '" + config().policy + "' KV policy cannot fit this request in the arena of " +
                 std::to_string(config().kv.capacity_tokens) + " slots");
    if (!internal) result.finished.push_back(id);
  }
  for (RequestId id : plan.preempted) {
    if (auto it = live_.find(id); it != live_.end()) ++it->second.out.preemptions;
  }
  if (!plan.admitted.empty()) {
    const double now = now_s();
    for (RequestId id : plan.admitted) {
      auto it = live_.find(id);
      if (it != live_.end() && it->second.out.admitted_s < 0) {
        it->second.out.admitted_s = now - it->second.out.arrival_s;
        const kv::Allocation* a = policy().allocation(id);
        it->second.out.cached_tokens = it->second.group_cached.value_or(
            a != nullptr ? static_cast<std::int32_t>(a->shared_tokens) : 0);
      }
    }
  }
  if (plan.items.empty()) {
    (void)session_.commit({});
    return result;
  }

  // Copies first: this step's attention must find every sequence where the policy now says.
  const Clock::time_point tc = Clock::now();
  model_->copy_kv(*storage_, plan.copies);
  for (const kv::CopyOp& op : plan.copies) counters_.copied_slots += op.length;
  counters_.copy_s += seconds_since(tc);

  std::vector<model::BatchItem> batch;
  batch.reserve(plan.items.size());
  for (const kv::WorkItem& w : plan.items) {
    const Live& l = live_.at(w.id);
    // A prompt being scored needs every position's logits (each predicts the next prompt token).
    const bool scores = l.prompt_logprobs >= 0 && w.kind == kv::WorkKind::kPrefill &&
                        w.start_pos < l.out.prompt_tokens - 1;
    batch.push_back({l.tokens.data() + w.start_pos, w.n_tokens, w.start_pos, layout(w.id), scores});
    (w.kind == kv::WorkKind::kDecode ? counters_.decode_tokens : counters_.prefill_tokens) +=
        w.n_tokens;
  }
  const int vocab = model_->config().vocab_size;
  logits_.resize(model::logit_rows(batch) * static_cast<std::size_t>(vocab));
  const Clock::time_point tf = Clock::now();
  model_->forward(batch, *storage_, logits_.data(), workspace_);
  counters_.forward_s += seconds_since(tf);

  std::vector<RequestId> stopped;
  const double now = now_s();
  std::size_t row = 0;  // the item's first row of logits
  for (std::size_t i = 0; i < plan.items.size(); ++i) {
    const kv::WorkItem& w = plan.items[i];
    const float* rows = logits_.data() + row * static_cast<std::size_t>(vocab);
    const std::size_t last = batch[i].all_logits ? static_cast<std::size_t>(w.n_tokens) - 1 : 0;
    row += last + 1;
    if (batch[i].all_logits) score_prompt(w, rows);
    if (!w.emits_token) continue;
    try {
      emit(w, rows + last * static_cast<std::size_t>(vocab), now, result, stopped);
    } catch (const std::exception& e) {
      // This request's own failure: it ends alone, its KV freed before the commit; the batch goes
      // on.
      std::erase(stopped, w.id);
      stopping_.erase(w.id);
      (void)session_.cancel(w.id);
      const bool internal = hidden(w.id);
      finalize(w.id, FinishReason::kError, std::string("request failed: ") + e.what());
      if (!internal) result.finished.push_back(w.id);
    }
  }
  for (const kv::Completion& c : session_.commit(stopped)) {
    if (auto it = live_.find(c.id); it != live_.end()) it->second.out.kv_held_slots = c.held_slots;
    auto why = stopping_.find(c.id);
    const bool internal = hidden(c.id);
    finalize(c.id, why != stopping_.end() ? why->second : FinishReason::kLength);
    if (why != stopping_.end()) stopping_.erase(why);
    if (!internal) result.finished.push_back(c.id);
  }
  if (predictor_) {  // odma's bucket drift detector tells the predictor that the lengths moved
    const std::int64_t drifts = kv::drift_detections(policy());
    if (drifts > drifts_relayed_) predictor_->notify_drift();
    drifts_relayed_ = drifts;
  }
  ++counters_.steps;
  counters_.batch_items += static_cast<std::int64_t>(plan.items.size());
  result.batch_items = static_cast<std::int32_t>(plan.items.size());
  counters_.step_s += seconds_since(t0);
  return result;
}

const float* Engine::constrain(Live& l, const float* logits, int vocab) {
  const auto t0 = Clock::now();
  l.matcher->fill_mask(mask_);
  constexpr float kNever = -std::numeric_limits<float>::infinity();
  masked_logits_.assign(static_cast<std::size_t>(vocab), kNever);
  // Word by word: most words of a mask are all-0 (structure) or all-1 (inside a string).
  bool any = false;
  const std::vector<std::uint64_t>& words = mask_.words();
  for (std::size_t w = 0; w < words.size(); ++w) {
    std::uint64_t bits = words[w];
    any = any || bits != 0;
    for (; bits != 0; bits &= bits - 1) {
      const std::size_t t = w * 64 + static_cast<std::size_t>(std::countr_zero(bits));
      if (t < static_cast<std::size_t>(vocab)) masked_logits_[t] = logits[t];
    }
  }
  ++counters_.grammar_masks;
  counters_.grammar_mask_s += seconds_since(t0);
  if (!any) throw Error("structured output: no token can continue the output");
  return masked_logits_.data();
}

void Engine::emit(const kv::WorkItem& w, const float* logits, double now, StepResult& result,
                  std::vector<RequestId>& stopped) {
  Live& l = live_.at(w.id);
  const int vocab = model_->config().vocab_size;
  const std::int32_t tok =
      l.sampler.sample(l.matcher ? constrain(l, logits, vocab) : logits, vocab);
  if (l.matcher && !l.matcher->accept(tok))  // the mask allowed it: a bug, this request's alone
    throw Error("structured output: the grammar refused token " + std::to_string(tok) +
                " after allowing it");
  if (l.logprobs >= 0 && !l.hidden)
    l.out.logprobs.push_back(
        model::token_logprobs(logits, vocab, tok, std::min(l.logprobs, vocab)));
  if (on_token_ && !l.hidden) on_token_(w.id, tok);
  l.tokens.push_back(tok);
  l.out.output_ids.push_back(tok);
  const double t = now - l.out.arrival_s;
  if (l.out.first_token_s < 0) l.out.first_token_s = t;
  l.out.token_s.push_back(t);
  if (!l.hidden) {  // a prompt prefill's token is nobody's output
    ++counters_.output_tokens;
    result.tokens.push_back({w.id, tok});
  }
  const auto n = static_cast<std::int32_t>(l.out.output_ids.size());
  const FinishReason why = l.stop.on_token(tok, n);
  if (tokenizer_) l.out.text = l.stop.text();
  if (why != FinishReason::kNone) {
    stopped.push_back(w.id);
    stopping_[w.id] = why;
  }
}

void Engine::score_prompt(const kv::WorkItem& w, const float* rows) {
  Live& l = live_.at(w.id);
  const int vocab = model_->config().vocab_size;
  for (int j = 0; j < w.n_tokens; ++j) {
    const auto target = static_cast<std::size_t>(w.start_pos + j + 1);
    if (target >= l.out.prompt_logprobs.size() || l.out.prompt_logprobs[target]) continue;
    l.out.prompt_logprobs[target] =
        model::token_logprobs(rows + static_cast<std::size_t>(j) * static_cast<std::size_t>(vocab),
                              vocab, l.tokens[target], std::min(l.prompt_logprobs, vocab));
  }
}

std::int64_t Engine::reset_prefix_cache() {
  return session_.reset_prefix_cache();
}

bool Engine::cancel(RequestId id) {
  if (live_.count(id) == 0) return false;
  if (unhold(id)) {  // never entered the session
    finalize(id, FinishReason::kCancelled);
    return true;
  }
  (void)session_.cancel(id);
  stopping_.erase(id);
  finalize(id, FinishReason::kCancelled);
  return true;
}

bool Engine::unhold(RequestId id) {
  for (auto it = held_.begin(); it != held_.end(); ++it) {
    std::vector<Pending>& samples = it->second;
    auto pos = std::find_if(samples.begin(), samples.end(),
                            [id](const Pending& p) { return p.spec.id == id; });
    if (pos == samples.end()) continue;
    samples.erase(pos);
    --held_samples_;
    if (samples.empty()) {  // nobody waits for this prompt any more: stop its prefill
      const RequestId leader = it->first;
      held_.erase(it);
      (void)session_.cancel(leader);
      stopping_.erase(leader);
      live_.erase(leader);
    }
    return true;
  }
  return false;
}

const RequestOutput& Engine::output(RequestId id) const {
  if (auto it = live_.find(id); it != live_.end()) return it->second.out;
  if (auto it = finished_index_.find(id); it != finished_index_.end()) return finished_[it->second];
  throw Error("engine: unknown request id " + std::to_string(id));
}

std::vector<RequestOutput> Engine::take_finished() {
  finished_index_.clear();
  return std::exchange(finished_, {});
}

}  // namespace odma::serve
