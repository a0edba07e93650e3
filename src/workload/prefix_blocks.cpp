#include "workload/prefix_blocks.h"

#include <algorithm>
#include <string>
#include <unordered_set>

#include "base/error.h"

namespace odma::workload {
namespace {

// splitmix64's output function: a bijection on 64 bits with good avalanche. Part of the
// synthesis contract: changing it changes every synthesized prompt.
std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// round(tokens · to / from), halves up, in integers so every platform agrees.
std::int64_t scale_length(std::int64_t tokens, std::int64_t to, std::int64_t from) {
  return (tokens * to + from / 2) / from;
}

}  // namespace

std::int64_t block_count(std::int64_t prompt_tokens, std::int64_t block_tokens) {
  return (prompt_tokens + block_tokens - 1) / block_tokens;
}

Trace scale_blocks(const Trace& trace, std::int32_t block_tokens) {
  if (trace.block_tokens < 1)
    throw Error("trace '" + trace.name + "' has no prefix blocks to rescale");
  if (block_tokens < 1 || block_tokens > trace.block_tokens) {
    throw Error("block size " + std::to_string(block_tokens) + " must be in [1, " +
                std::to_string(trace.block_tokens) + "] (the trace's own block size)");
  }
  Trace out = trace;
  out.block_tokens = block_tokens;
  const std::int64_t from = trace.block_tokens, to = block_tokens;
  for (TraceRequest& r : out.requests) {
    std::int64_t prompt = std::max<std::int64_t>(1, scale_length(r.prompt_tokens, to, from));
    if (!r.prefix_blocks.empty()) {
      const auto n = static_cast<std::int64_t>(r.prefix_blocks.size());
      prompt = std::clamp(prompt, (n - 1) * to + 1, n * to);
    }
    r.prompt_tokens = static_cast<std::int32_t>(prompt);
    r.output_tokens = static_cast<std::int32_t>(
        std::max<std::int64_t>(1, scale_length(r.output_tokens, to, from)));
  }
  return out;
}

std::vector<std::int32_t> synthesize_prompt(const std::vector<std::uint64_t>& blocks,
                                            std::int32_t prompt_tokens, std::int32_t block_tokens,
                                            std::int32_t lo, std::int32_t hi) {
  if (lo >= hi) {
    throw Error("synthesize_prompt: empty vocabulary range [" + std::to_string(lo) + ", " +
                std::to_string(hi) + ")");
  }
  if (prompt_tokens < 1 || block_tokens < 1 ||
      static_cast<std::int64_t>(blocks.size()) != block_count(prompt_tokens, block_tokens)) {
    throw Error("synthesize_prompt: " + std::to_string(blocks.size()) + " blocks of " +
                std::to_string(block_tokens) + " tokens cannot hold a " +
                std::to_string(prompt_tokens) + "-token prompt");
  }
  const auto range = static_cast<std::uint64_t>(static_cast<std::int64_t>(hi) - lo);
  std::vector<std::int32_t> ids;
  ids.reserve(static_cast<std::size_t>(prompt_tokens));
  for (std::int32_t t = 0; t < prompt_tokens; ++t) {
    const std::uint64_t block = blocks[static_cast<std::size_t>(t / block_tokens)];
    const auto in_block = static_cast<std::uint64_t>(t % block_tokens);
    ids.push_back(static_cast<std::int32_t>(
        lo + static_cast<std::int64_t>(mix64(mix64(block) + in_block) % range)));
  }
  return ids;
}

double PrefixReuse::fraction() const {
  return prompt_tokens == 0
             ? 0.0
             : static_cast<double>(reusable_tokens) / static_cast<double>(prompt_tokens);
}

PrefixReuse infinite_cache_bound(const Trace& trace) {
  PrefixReuse out;
  std::unordered_set<std::uint64_t> seen;
  const std::int64_t b = trace.block_tokens;
  for (const TraceRequest& r : trace.requests) {
    out.prompt_tokens += r.prompt_tokens;
    for (std::size_t k = 0; k < r.prefix_blocks.size() && seen.count(r.prefix_blocks[k]); ++k) {
      const std::int64_t start = static_cast<std::int64_t>(k) * b;
      out.reusable_tokens += std::min<std::int64_t>(b, r.prompt_tokens - start);
    }
    // Only after the request: its own blocks serve later requests, not itself.
    seen.insert(r.prefix_blocks.begin(), r.prefix_blocks.end());
  }
  return out;
}

}  // namespace odma::workload
