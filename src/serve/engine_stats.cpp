#include "serve/engine_stats.h"

#include <algorithm>
#include <numeric>

namespace odma::serve {
namespace {

// Linear interpolation between order statistics (numpy's default "linear" method).
double quantile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(pos);
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

}  // namespace

Percentiles percentiles(std::vector<double> values) {
  Percentiles p;
  if (values.empty()) return p;
  std::sort(values.begin(), values.end());
  p.p50 = quantile(values, 0.50);
  p.p90 = quantile(values, 0.90);
  p.p99 = quantile(values, 0.99);
  p.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  return p;
}

RunSummary summarize(const std::vector<RequestOutput>& outputs, double wall_s) {
  RunSummary s;
  s.wall_s = wall_s;
  std::vector<double> ttft, tpot, itl;
  for (const RequestOutput& o : outputs) {
    if (o.finish == FinishReason::kFailed) {
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
  s.ttft_s = percentiles(std::move(ttft));
  s.tpot_s = percentiles(std::move(tpot));
  s.itl_s = percentiles(std::move(itl));
  return s;
}

}  // namespace odma::serve
