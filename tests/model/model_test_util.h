// Helpers shared by the model tests: generation through the batched forward API.
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "base/file_io.h"
#include "model/sampling.h"
#include "model/transformer.h"

namespace odma::model::testing {

inline std::filesystem::path model_dir(const std::string& name) {
  return data_file("models/" + name + "/config.json").parent_path();
}

struct Run {
  std::vector<std::int32_t> tokens;
  std::vector<float> logits;  // every step's logits, concatenated
};

// Prefills `prompt` in chunks of `chunk` tokens (0 = all at once), then decodes `n_new` tokens one
// at a time with `params` (default greedy), all within `kv`.
inline Run generate(const Transformer& m, KvStorage& st, const SeqKv& kv,
                    const std::vector<std::int32_t>& prompt, int n_new, int chunk = 0,
                    const SamplingParams& params = {}) {
  const int vocab = m.config().vocab_size;
  Sampler sampler(params);
  std::vector<float> logits(static_cast<std::size_t>(vocab));
  const int n = static_cast<int>(prompt.size());
  if (chunk <= 0) chunk = n;
  for (int p = 0; p < n; p += chunk) {
    BatchItem it{prompt.data() + p, std::min(chunk, n - p), p, kv};
    m.forward({it}, st, logits.data());
  }
  Run run;
  for (int i = 0; i < n_new; ++i) {
    run.logits.insert(run.logits.end(), logits.begin(), logits.end());
    run.tokens.push_back(sampler.sample(logits.data(), vocab));
    if (i + 1 == n_new) break;
    BatchItem it{&run.tokens.back(), 1, n + i, kv};
    m.forward({it}, st, logits.data());
  }
  return run;
}

inline std::vector<std::int32_t> greedy(const Transformer& m, KvStorage& st, const SeqKv& kv,
                                        const std::vector<std::int32_t>& prompt, int n_new,
                                        int chunk = 0) {
  return generate(m, st, kv, prompt, n_new, chunk).tokens;
}

// A block table of `seq_slots / bt` blocks of `bt` slots, drawn in random order from an arena of
// `arena_slots`: a paged layout whose blocks sit anywhere, as after long churn.
inline std::vector<std::int64_t> scattered_blocks(std::int64_t arena_slots, int bt,
                                                  std::int64_t seq_slots, std::mt19937& rng) {
  std::vector<std::int64_t> blocks(static_cast<std::size_t>(arena_slots / bt));
  std::iota(blocks.begin(), blocks.end(), 0);
  std::shuffle(blocks.begin(), blocks.end(), rng);
  for (auto& b : blocks) b *= bt;
  blocks.resize(static_cast<std::size_t>(seq_slots / bt));
  return blocks;
}

// Largest |a - b| over two equally long vectors (infinity if the lengths differ).
inline float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  float d = 0.0f;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

}  // namespace odma::model::testing
