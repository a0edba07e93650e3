// Helpers shared by the engine tests: models, request sets and "run to completion".
#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/file_io.h"
#include "model/random_model.h"
#include "model/transformer.h"
#include "serve/engine.h"
#include "tokenizer/tokenizer.h"

namespace odma::serve::testing {

inline std::filesystem::path model_dir(const std::string& name) {
  return data_file("models/" + name + "/config.json").parent_path();
}

// Loaded once per process, in F32 (the reference ids are F32 results): the models are immutable
// and shared by every engine.
inline std::shared_ptr<const model::Transformer> shipped_model(const std::string& name) {
  static std::map<std::string, std::shared_ptr<const model::Transformer>> cache;
  auto& m = cache[name];
  if (!m) m = model::Transformer::load(model_dir(name), {model::DType::kF32});
  return m;
}

// The tiny shape with Qwen2's padded 151,936-row vocabulary and its full tokenizer (151,665 ids),
// random weights of `seed`: masks, sampling and decoding then meet every real token.
struct RealVocabModel {
  std::shared_ptr<const model::Transformer> model;
  tokenizer::Tokenizer tokenizer;
};
inline RealVocabModel real_vocab_model(std::uint64_t seed) {
  model::ModelConfig c = model::preset_config("tiny");
  c.vocab_size = 151936;
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("odma_real_vocab_" + std::to_string(::getpid()) + "_" + std::to_string(seed));
  (void)model::write_random_model(dir, c, seed, /*write_weights=*/false);
  tokenizer::Tokenizer tok = tokenizer::Tokenizer::load(dir);
  std::filesystem::remove_all(dir);
  return {std::make_shared<const model::Transformer>(c, model::random_weights(c, seed)),
          std::move(tok)};
}

// The `tiny` random Qwen2 preset with 3 layers (as the model tests use).
inline std::shared_ptr<const model::Transformer> tiny_random_model() {
  static std::shared_ptr<const model::Transformer> m = [] {
    model::ModelConfig c = model::preset_config("tiny");
    c.num_layers = 3;
    return std::make_shared<const model::Transformer>(c, model::random_weights(c, 42));
  }();
  return m;
}

inline std::vector<std::int32_t> random_prompt(int n, std::uint32_t seed, int vocab = 1022) {
  std::mt19937 rng(seed);
  std::vector<std::int32_t> p(static_cast<std::size_t>(n));
  for (auto& t : p) t = static_cast<std::int32_t>(rng() % static_cast<std::uint32_t>(vocab));
  return p;
}

struct Job {
  std::vector<std::int32_t> prompt;
  RequestParams params;
};

inline RequestParams greedy(int max_tokens, bool ignore_eos = true) {
  RequestParams p;
  p.sampling.max_tokens = max_tokens;
  p.sampling.ignore_eos = ignore_eos;
  return p;
}

inline RequestParams sampled(int max_tokens, std::uint64_t seed) {
  RequestParams p = greedy(max_tokens);
  p.sampling.temperature = 1.0f;
  p.sampling.seed = seed;
  return p;
}

inline EngineConfig engine_config(const std::string& policy, std::int64_t capacity,
                                  std::int32_t max_model_len) {
  EngineConfig c;
  c.policy = policy;
  c.kv.capacity_tokens = capacity;
  c.kv.max_model_len = max_model_len;
  c.kv.s3_max_output = max_model_len;
  return c;
}

// Submits every job at once, steps until idle; outputs in job order.
inline std::vector<RequestOutput> run_all(Engine& engine, const std::vector<Job>& jobs) {
  std::vector<RequestId> ids;
  for (const Job& j : jobs) ids.push_back(engine.submit(j.prompt, j.params));
  for (int guard = 0; !engine.idle(); ++guard) {
    if (guard > 1000000) throw std::runtime_error("engine never became idle");
    (void)engine.step();
  }
  std::vector<RequestOutput> out;
  for (RequestId id : ids) out.push_back(engine.output(id));
  return out;
}

// Every job alone, each in a fresh engine with room for it (the reference for batching).
inline std::vector<RequestOutput> run_one_by_one(std::shared_ptr<const model::Transformer> m,
                                                 const std::vector<Job>& jobs,
                                                 std::int32_t max_model_len) {
  std::vector<RequestOutput> out;
  for (const Job& j : jobs) {
    Engine e(m, engine_config("static", max_model_len, max_model_len));
    out.push_back(run_all(e, {j}).front());
  }
  return out;
}

}  // namespace odma::serve::testing
