// Next-token agreement of two models under teacher forcing: every position's distribution of the
// reference against the candidate's (KL divergence, top-1), for the INT8 accuracy tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <random>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/file_io.h"
#include "model/transformer.h"

namespace odma::model::testing {

struct Agreement {
  double mean_kl = 0;  // mean over positions of KL(p_ref || p_candidate), nats
  double max_kl = 0;
  double top1 = 0;  // fraction of positions with the same argmax
  int positions = 0;
};

// Logits of every position of `tokens` (one prefill, all_logits), K/V in `kv_dtype`.
inline std::vector<float> all_logits(const Transformer& m, const std::vector<std::int32_t>& tokens,
                                     DType kv_dtype) {
  const int n = static_cast<int>(tokens.size());
  auto st = m.make_storage(n, kv_dtype);
  std::vector<float> logits(static_cast<std::size_t>(n) * m.config().vocab_size);
  BatchItem it{tokens.data(), n, 0, SeqKv::contiguous({{0, n}})};
  it.all_logits = true;
  m.forward({it}, *st, logits.data());
  return logits;
}

// n sequences of `len` token ids drawn uniformly from [0, vocab).
inline std::vector<std::vector<std::int32_t>> random_sequences(int n, int len, int vocab,
                                                               std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<std::int32_t>> out(static_cast<std::size_t>(n));
  for (auto& s : out) {
    s.resize(static_cast<std::size_t>(len));
    for (auto& t : s) t = static_cast<std::int32_t>(rng() % static_cast<std::uint32_t>(vocab));
  }
  return out;
}

// The stories260K reference story (BOS, then all but the last of its 256 greedy ids) and two
// prompts cut from it.
inline std::vector<std::vector<std::int32_t>> stories_sequences(const std::filesystem::path& dir) {
  const auto ref = nlohmann::json::parse(read_file(dir / "reference.json"));
  const auto ids = ref["greedy_ids_after_bos"].get<std::vector<std::int32_t>>();
  std::vector<std::int32_t> story(ids.size());
  story[0] = ref["bos_id"].get<std::int32_t>();
  std::copy(ids.begin(), ids.end() - 1, story.begin() + 1);
  return {story, {story.begin() + 40, story.begin() + 140}, {story.begin() + 100, story.end()}};
}

// qwen2-tiny's reference cases (prompt then greedy ids) and 4 × 64 random ids.
inline std::vector<std::vector<std::int32_t>> qwen2_tiny_sequences(const std::filesystem::path& dir,
                                                                   int vocab) {
  const auto ref = nlohmann::json::parse(read_file(dir / "reference.json"));
  std::vector<std::vector<std::int32_t>> seqs;
  for (const auto& cs : ref["cases"]) {
    auto s = cs["prompt_ids"].get<std::vector<std::int32_t>>();
    const auto g = cs["greedy_ids"].get<std::vector<std::int32_t>>();
    s.insert(s.end(), g.begin(), g.end());
    seqs.push_back(s);
  }
  for (auto& s : random_sequences(4, 64, vocab, 7)) seqs.push_back(s);
  return seqs;
}

inline std::vector<double> softmax(const float* z, int n) {
  const float mx = *std::max_element(z, z + n);
  std::vector<double> p(static_cast<std::size_t>(n));
  double s = 0;
  for (int i = 0; i < n; ++i) s += p[i] = std::exp(static_cast<double>(z[i]) - mx);
  for (double& v : p) v /= s;
  return p;
}

// The candidate's K/V in `cand_kv_dtype` (default: kv_dtype, the reference's).
inline Agreement agreement(const Transformer& ref, const Transformer& cand,
                           const std::vector<std::vector<std::int32_t>>& sequences,
                           DType kv_dtype = DType::kBF16,
                           std::optional<DType> cand_kv_dtype = std::nullopt) {
  const int vocab = ref.config().vocab_size;
  Agreement a;
  int same = 0;
  for (const auto& seq : sequences) {
    const auto zr = all_logits(ref, seq, kv_dtype),
               zc = all_logits(cand, seq, cand_kv_dtype.value_or(kv_dtype));
    for (std::size_t pos = 0; pos < seq.size(); ++pos) {
      const float* r = zr.data() + pos * vocab;
      const float* c = zc.data() + pos * vocab;
      const auto pr = softmax(r, vocab), pc = softmax(c, vocab);
      double kl = 0;
      for (int i = 0; i < vocab; ++i)
        if (pr[i] > 0) kl += pr[i] * (std::log(pr[i]) - std::log(std::max(pc[i], 1e-300)));
      a.mean_kl += kl;
      a.max_kl = std::max(a.max_kl, kl);
      same += std::max_element(r, r + vocab) - r == std::max_element(c, c + vocab) - c;
      ++a.positions;
    }
  }
  a.mean_kl /= a.positions;
  a.top1 = static_cast<double>(same) / a.positions;
  return a;
}

}  // namespace odma::model::testing
