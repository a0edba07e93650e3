// Prefix blocks: a prompt described as a list of block ids (Mooncake's hash_ids), each id standing
// for block_tokens tokens, so requests that share leading ids share a prompt prefix. No text.
//
// Glossary:
//   block        block_tokens consecutive prompt tokens; block i of a request covers tokens
//                [i·B, min((i+1)·B, prompt_tokens)), so only the last block may be partial
//   chain        a request's blocks 0..k: block k is reusable only if the whole chain was cached,
//                since a KV block is only valid after the exact tokens before it
//   bound        the infinite-cache bound: the fraction of all prompt tokens a cache that never
//                evicts would serve, Σ reusable tokens / Σ prompt_tokens (see infinite_cache_bound)
#pragma once

#include <cstdint>
#include <vector>

#include "workload/trace.h"

namespace odma::workload {

// ceil(prompt_tokens / block_tokens): the number of blocks a prompt of that length has.
// Precondition: prompt_tokens ≥ 1, block_tokens ≥ 1.
std::int64_t block_count(std::int64_t prompt_tokens, std::int64_t block_tokens);

// The trace with blocks of `block_tokens` (1 ≤ it ≤ trace.block_tokens) instead of
// trace.block_tokens = S: every request keeps its block ids and count, and its lengths scale by
// B/S, rounded half up and at least 1. A prompt with n blocks is then clamped to
// [(n−1)·B + 1, n·B], the lengths n blocks of B can hold (rounding alone can land on (n−1)·B).
// Requests without blocks scale the same way. Throws odma::Error if the trace has no blocks or B
// is out of range.
Trace scale_blocks(const Trace& trace, std::int32_t block_tokens);

// Prompt token ids for `prompt_tokens` tokens in `blocks` of `block_tokens`: token j of block b is
// a fixed hash of (b's id, j) mapped into [lo, hi), so equal ids give equal tokens in every
// request and run; the partial last block is the first tokens of its id's full block. Throws
// odma::Error if blocks.size() != block_count(prompt_tokens, block_tokens) or lo ≥ hi.
std::vector<std::int32_t> synthesize_prompt(const std::vector<std::uint64_t>& blocks,
                                            std::int32_t prompt_tokens, std::int32_t block_tokens,
                                            std::int32_t lo, std::int32_t hi);

struct PrefixReuse {
  std::int64_t prompt_tokens = 0;    // Σ prompt_tokens over all requests (with blocks or not)
  std::int64_t reusable_tokens = 0;  // Σ tokens of blocks whose whole chain an earlier request held
  double fraction() const;           // reusable_tokens / prompt_tokens (0 for an empty trace)
};

// The infinite-cache bound over the trace in request order: block k of a request counts, at its
// real size (a partial last block at its partial size), when blocks 0..k all appeared in earlier
// requests (anywhere in them; the ids already encode the prefix). Repeats within one request do
// not count. Requests without blocks add prompt tokens and no reuse.
PrefixReuse infinite_cache_bound(const Trace& trace);

}  // namespace odma::workload
