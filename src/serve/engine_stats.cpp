#include "serve/engine_stats.h"

namespace odma::serve {
RunSummary summarize(const std::vector<RequestOutput>& outputs, double wall_s) {
  RunSummary s;
  s.wall_s = wall_s;
  std::vector<double> ttft, tpot, itl;
  for (const RequestOutput& o : outputs) {
    if (o.finish == FinishReason::kFailed || o.finish == FinishReason::kError) {
      ++s.failed;
      continue;
    }
    if (!o.finished() || o.finish == FinishReason::kCancelled) continue;
    ++s.completed;
    s.output_tokens += static_cast<std::int64_t>(o.output_ids.size());
    if (o.first_token_s >= 0) ttft.push_back(o.first_token_s);
    if (o.token_s.size() >= 2) tpot.push_back(o.tpot_s());
    for (std::size_t i = 1; i < o.token_s.size(); ++i)
      itl.push_back(o.token_s[i] - o.token_s[i - 1]);
  }
  if (wall_s > 0) {
    s.tps = static_cast<double>(s.output_tokens) / wall_s;
    s.rps = static_cast<double>(s.completed) / wall_s;
  }
  s.ttft_s = odma::summarize(std::move(ttft));
  s.tpot_s = odma::summarize(std::move(tpot));
  s.itl_s = odma::summarize(std::move(itl));
  return s;
}

}  // namespace odma::serve
