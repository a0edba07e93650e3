#include "sim/adaptation.h"

#include <cstdlib>

#include "base/error.h"
#include "predict/predictor_source.h"

namespace odma::sim {
namespace {

// Statistics of records[begin, end), with counter differences against the record before `begin`.
WindowStats stats_of(const std::vector<CompletionRecord>& r, std::size_t begin, std::size_t end) {
  WindowStats w;
  w.first = static_cast<std::int64_t>(begin);
  w.count = static_cast<std::int64_t>(end - begin);
  if (w.count == 0) return w;
  double err = 0, final_tokens = 0, held = 0;
  for (std::size_t i = begin; i < end; ++i) {
    err += std::abs(r[i].predicted - r[i].actual);
    final_tokens += static_cast<double>(r[i].final_tokens);
    held += static_cast<double>(r[i].held_slots);
  }
  const CompletionRecord zero{};
  const CompletionRecord& before = begin == 0 ? zero : r[begin - 1];
  const CompletionRecord& last = r[end - 1];
  const double n = static_cast<double>(w.count);
  w.mae = err / n;
  w.reservation_efficiency = held > 0 ? final_tokens / held : 0;
  w.migrations_per_request =
      static_cast<double>(last.migrations_total - before.migrations_total) / n;
  w.overflows_per_request = static_cast<double>(last.overflows_total - before.overflows_total) / n;
  w.grow_in_place_per_request =
      static_cast<double>(last.grow_in_place_total - before.grow_in_place_total) / n;
  w.failed = last.failed_total - before.failed_total;
  return w;
}

}  // namespace

std::vector<WindowStats> window_stats(const ReplayResult& result, std::int32_t window) {
  if (window < 1) throw Error("adaptation: the window must be >= 1 completion");
  std::vector<WindowStats> out;
  const std::size_t n = result.records.size(), w = static_cast<std::size_t>(window);
  for (std::size_t b = 0; b < n; b += w)
    out.push_back(stats_of(result.records, b, std::min(n, b + w)));
  return out;
}

WindowStats settled_stats(const ReplayResult& result, kv::RequestId new_from, std::int64_t settle) {
  // The first completion past `settle` new-distribution completions; everything after it counts
  // (the few old requests still finishing there included: they share the same arena and buckets).
  std::int64_t seen = 0;
  std::size_t begin = result.records.size();
  for (std::size_t i = 0; i < result.records.size(); ++i) {
    if (result.records[i].id < new_from) continue;
    if (seen++ == settle) {
      begin = i;
      break;
    }
  }
  WindowStats w = stats_of(result.records, begin, result.records.size());
  return w;
}

std::vector<AdaptationRun> run_adaptation(const workload::Trace& trace,
                                          const std::string& predictor, std::uint64_t seed,
                                          const ReplayOptions& options, std::int32_t window,
                                          kv::RequestId new_from, std::int64_t settle) {
  const std::int32_t cap = kv::normalize_session_config(options.session).max_output_tokens;
  std::vector<AdaptationRun> runs;
  runs.push_back(
      {"offline",
       replay(trace, predict::predict_trace(trace, predictor, seed, cap), "odma", options),
       {},
       {}});
  auto source = predict::make_predictor_source(predictor, seed, options.online);
  runs.push_back({"online", replay(trace, *source, "odma", options), {}, {}});
  runs.push_back(
      {"oracle",
       replay(trace, predict::predict_trace(trace, "oracle", seed, cap), "odma", options),
       {},
       {}});
  for (AdaptationRun& r : runs) {
    r.windows = window_stats(r.result, window);
    r.settled = settled_stats(r.result, new_from, settle);
  }
  return runs;
}

}  // namespace odma::sim
