#include "model/sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/error.h"

namespace odma::model {

void SamplingParams::validate() const {
  if (!(temperature >= 0.0f) || !std::isfinite(temperature)) {
    throw Error("sampling: temperature must be >= 0, got " + std::to_string(temperature));
  }
  if (top_k < 0) throw Error("sampling: top_k must be >= 0, got " + std::to_string(top_k));
  if (!(top_p > 0.0f && top_p <= 1.0f)) {
    throw Error("sampling: top_p must be in (0, 1], got " + std::to_string(top_p));
  }
  if (max_tokens <= 0) throw Error("sampling: max_tokens must be > 0");
  if (!(presence_penalty >= -2.0f && presence_penalty <= 2.0f)) {
    throw Error("sampling: presence_penalty must be in [-2, 2], got " +
                std::to_string(presence_penalty));
  }
  if (!(frequency_penalty >= -2.0f && frequency_penalty <= 2.0f)) {
    throw Error("sampling: frequency_penalty must be in [-2, 2], got " +
                std::to_string(frequency_penalty));
  }
}

std::int32_t argmax(const float* logits, int n) {
  std::int32_t best = 0;
  for (int i = 1; i < n; ++i) {
    if (logits[i] > logits[best]) best = i;
  }
  return best;
}

Sampler::Sampler(const SamplingParams& params) : params_(params), rng_(params.seed) {
  params_.validate();
}

std::int32_t Sampler::sample(const float* logits, int vocab) {
  if (!penalized()) return pick(logits, vocab);
  if (!counts_.empty()) {
    penalized_.assign(logits, logits + vocab);
    for (const auto& [token, count] : counts_) {
      if (token < 0 || token >= vocab) continue;
      penalized_[static_cast<std::size_t>(token)] -=
          params_.frequency_penalty * static_cast<float>(count) + params_.presence_penalty;
    }
    logits = penalized_.data();
  }
  const std::int32_t token = pick(logits, vocab);
  ++counts_[token];
  return token;
}

std::int32_t Sampler::pick(const float* logits, int vocab) {
  if (params_.temperature == 0.0f || params_.top_k == 1) return argmax(logits, vocab);
  // Tokens a grammar ruled out (−∞) have no mass: they never enter the candidates.
  candidates_.clear();
  for (int i = 0; i < vocab; ++i)
    if (logits[i] > -std::numeric_limits<float>::infinity()) candidates_.push_back({logits[i], i});
  if (candidates_.empty()) return argmax(logits, vocab);
  auto by_logit = [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  const auto first = candidates_.begin();
  std::size_t keep = candidates_.size();
  if (params_.top_k > 0 && static_cast<std::size_t>(params_.top_k) < keep) {
    keep = static_cast<std::size_t>(params_.top_k);
    std::partial_sort(first, first + static_cast<std::ptrdiff_t>(keep), candidates_.end(),
                      by_logit);
    candidates_.resize(keep);
  }
  // Softmax weights at temperature T (max first, so exp never overflows).
  const float inv_t = 1.0f / params_.temperature;
  float top = candidates_[0].first;
  for (const auto& c : candidates_) top = std::max(top, c.first);
  double total = 0.0;
  for (auto& c : candidates_) {
    c.first = std::exp((c.first - top) * inv_t);
    total += c.first;
  }
  // The nucleus walks the candidates from the most likely down, so only the prefix it reaches
  // needs sorting: the sorted prefix grows by nth_element + sort in chunks (×4 each), O(V) when
  // the mass is concentrated, instead of a sort of the whole vocabulary (~12 ms at 151,936 ids).
  std::size_t sorted = 0;
  std::size_t chunk = 256;
  const auto sorted_through = [&](std::size_t n) {
    while (sorted < n) {
      const std::size_t end = std::min(sorted + chunk, candidates_.size());
      const auto b = first + static_cast<std::ptrdiff_t>(sorted);
      const auto e = first + static_cast<std::ptrdiff_t>(end);
      if (end < candidates_.size()) std::nth_element(b, e, candidates_.end(), by_logit);
      std::sort(b, e, by_logit);
      sorted = end;
      chunk *= 4;
    }
  };
  keep = candidates_.size();
  // Nucleus: the smallest prefix with mass >= top_p (always at least one token), renormalised.
  if (params_.top_p < 1.0f) {
    double mass = 0.0;
    std::size_t n = 0;
    while (n < keep) {
      sorted_through(n + 1);
      mass += candidates_[n].first / total;
      ++n;
      if (mass >= params_.top_p) break;
    }
    keep = n;
    total = 0.0;
    for (std::size_t i = 0; i < keep; ++i) total += candidates_[i].first;
  }
  // 53 random bits → u in [0, 1); the first candidate whose cumulative mass exceeds u·total. Any
  // fixed order draws from the same distribution: without a nucleus the candidates stay in id
  // order (O(V), nothing sorted), with one in the sorted order the nucleus needed anyway.
  const double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53 * total;
  double acc = 0.0;
  for (std::size_t i = 0; i < keep; ++i) {
    acc += candidates_[i].first;
    if (u < acc) return candidates_[i].second;
  }
  return candidates_[keep - 1].second;
}

bool is_stop(std::int32_t token, const std::vector<std::int32_t>& eos_ids, bool ignore_eos) {
  return !ignore_eos && std::find(eos_ids.begin(), eos_ids.end(), token) != eos_ids.end();
}

}  // namespace odma::model
