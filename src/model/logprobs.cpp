#include "model/logprobs.h"

#include <algorithm>
#include <cmath>

#include "base/debug.h"

namespace odma::model {

LogprobEntry token_logprobs(const float* logits, int vocab, std::int32_t chosen, int k) {
  ODMA_ASSERT(vocab > 0 && chosen >= 0 && chosen < vocab && k >= 0 && k <= vocab);
  const float max = *std::max_element(logits, logits + vocab);
  double sum = 0.0;
  std::int32_t above = 0;
  for (int i = 0; i < vocab; ++i) {
    sum += std::exp(static_cast<double>(logits[i] - max));
    above += logits[i] > logits[chosen] ? 1 : 0;
  }
  const auto log_norm = static_cast<float>(std::log(sum)) + max;
  LogprobEntry e;
  e.chosen = {chosen, logits[chosen] - log_norm};
  e.rank = above + 1;
  // The k largest: a min-heap of the best so far, one comparison per id for the rest.
  auto better = [](const TokenLogprob& a, const TokenLogprob& b) {
    return a.logprob > b.logprob || (a.logprob == b.logprob && a.id < b.id);
  };
  e.top.reserve(static_cast<std::size_t>(k));
  for (int i = 0; i < vocab && k > 0; ++i) {
    const TokenLogprob t{i, logits[i]};
    if (static_cast<int>(e.top.size()) < k) {
      e.top.push_back(t);
      std::push_heap(e.top.begin(), e.top.end(), better);
    } else if (better(t, e.top.front())) {
      std::pop_heap(e.top.begin(), e.top.end(), better);
      e.top.back() = t;
      std::push_heap(e.top.begin(), e.top.end(), better);
    }
  }
  std::sort(e.top.begin(), e.top.end(), better);
  for (TokenLogprob& t : e.top) t.logprob -= log_norm;
  return e;
}

}  // namespace odma::model
