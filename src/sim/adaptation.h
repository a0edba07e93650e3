// How fast odma adapts when the length distribution drifts (docs/predictor.md "Online
// adaptation"): a drift trace replayed through odma three ways, read per window of completions.
//
//   offline   the predictor's predictions for every request made before the run (it cannot learn)
//   online    each request predicted at its arrival, each completion fed back (observe): the
//             serving engine's behaviour (`--online`)
//   oracle    the true lengths: the reference sizing
//
// Per window of W completions (in completion order):
//   MAE                     Σ |predicted − actual output tokens| ÷ W
//   reservation efficiency  Σ (prompt + output) ÷ Σ slots held at completion (DESIGN.md)
//   migrations / request    the policy's migrations during the window ÷ W (overflows, grow-in-place
//                           likewise)
//   failed                  requests the planner failed during the window (must be 0)
// and the same over the "settled" part: completions of new-distribution requests after the first
// `settle` of them (the target is read there).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/replay.h"

namespace odma::sim {

struct WindowStats {
  std::int64_t first = 0;  // index of the window's first completion
  std::int64_t count = 0;
  double mae = 0;
  double reservation_efficiency = 0;
  double migrations_per_request = 0;
  double overflows_per_request = 0;
  double grow_in_place_per_request = 0;
  std::int64_t failed = 0;
};

// Windows of `window` completions over a replay's records and its per-window counter snapshots.
std::vector<WindowStats> window_stats(const ReplayResult& result, std::int32_t window);

// The same statistics over the completions of requests with id >= `new_from` (the last drift
// phase), skipping the first `settle` of them. Migrations and overflows are counted per request
// from the policy's counters over the steps those completions span.
WindowStats settled_stats(const ReplayResult& result, kv::RequestId new_from, std::int64_t settle);

struct AdaptationRun {
  std::string label;  // "offline", "online", "oracle"
  ReplayResult result;
  std::vector<WindowStats> windows;
  WindowStats settled;
};

// odma on `trace` with `predictor` offline and online, and with the oracle, read in windows of
// `window` completions; `new_from` is the first request of the new distribution.
std::vector<AdaptationRun> run_adaptation(const workload::Trace& trace,
                                          const std::string& predictor, std::uint64_t seed,
                                          const ReplayOptions& options, std::int32_t window,
                                          kv::RequestId new_from, std::int64_t settle);

}  // namespace odma::sim
