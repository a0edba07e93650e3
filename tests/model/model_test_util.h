// Helpers shared by the model tests: greedy generation through the batched forward API.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "base/file_io.h"
#include "model/sampling.h"
#include "model/transformer.h"

namespace odma::model::testing {

inline std::filesystem::path model_dir(const std::string& name) {
  return data_file("models/" + name + "/config.json").parent_path();
}

// Prefills `prompt` in chunks of `chunk` tokens (0 = all at once), then decodes `n_new` greedy
// tokens one at a time, all within `kv`.
inline std::vector<std::int32_t> greedy(const Transformer& m, KvStorage& st, const SeqKv& kv,
                                        const std::vector<std::int32_t>& prompt, int n_new,
                                        int chunk = 0) {
  const int vocab = m.config().vocab_size;
  std::vector<float> logits(static_cast<std::size_t>(vocab));
  const int n = static_cast<int>(prompt.size());
  if (chunk <= 0) chunk = n;
  for (int p = 0; p < n; p += chunk) {
    BatchItem it{prompt.data() + p, std::min(chunk, n - p), p, kv};
    m.forward({it}, st, logits.data());
  }
  std::vector<std::int32_t> out;
  for (int i = 0; i < n_new; ++i) {
    std::int32_t tok = argmax(logits.data(), vocab);
    out.push_back(tok);
    if (i + 1 == n_new) break;
    BatchItem it{&out.back(), 1, n + i, kv};
    m.forward({it}, st, logits.data());
  }
  return out;
}

}  // namespace odma::model::testing
