// `odma loadgen`: requests sent at their arrival times (vLLM's schedule: the first at 0, then gaps
// drawn from a gamma distribution of shape `burstiness` and mean 1/rate — Poisson at burstiness
// 1 —, all at once at rate inf, or a trace's own timestamps), at most `max_concurrency` in flight,
// each on its own thread; a progress line on stderr.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "server/loadgen_client.h"
#include "server/loadgen_stats.h"

namespace odma::server {

// Sets `requests[i].arrival_s` in order: the first at 0, then gamma gaps (seeded SplitMix64).
// rate = +inf: all at 0. Throws odma::Error for rate <= 0 or burstiness <= 0.
void schedule_arrivals(std::vector<LoadRequest>& requests, double rate, double burstiness,
                       std::uint64_t seed);

struct LoadRun {
  std::vector<RequestRecord> records;  // in request order
  double duration_s = 0;               // first send → last response
};

// Sends every request at its arrival_s; `max_concurrency` 0 = unlimited. `progress(done, failed)`
// is called after each response (from the worker threads, serialised).
LoadRun run_load(const Target& target, const std::vector<LoadRequest>& requests,
                 std::size_t max_concurrency,
                 const std::function<void(std::size_t, std::size_t)>& progress = {});

// A multi-turn chat (`odma loadgen --multi-turn`): turn k sends every earlier message, the
// server's answers included, and a new user message (turns[k].prompt_text), as a chat client
// does; the next turn leaves when the answer is complete. Every turn carries the conversation's
// session id (X-Session-Id).
struct Conversation {
  std::vector<LoadRequest> turns;
  double arrival_s = 0;  // of the first turn
  std::string session_id;
  double think_s = 0;  // pause between an answer and the next turn (a user reading and typing)
};

// Runs each conversation on its own thread from its arrival_s, at most `max_concurrency` (0 =
// unlimited) conversations at a time; records are per turn, conversation by conversation. The
// turns after a failed one are not sent and count as failed.
LoadRun run_conversations(const Target& target, const std::vector<Conversation>& conversations,
                          std::size_t max_concurrency,
                          const std::function<void(std::size_t, std::size_t)>& progress = {});

}  // namespace odma::server
