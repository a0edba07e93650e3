// Sequences placed in a KV arena the way each layout places them under load, for the attention
// benchmarks (bench/bench_attention.cpp and `odma bench`): contiguous extents in shuffled order,
// or every block of the arena handed out in random order (vLLM-style paging at its most scattered).
#pragma once

#include <cstdint>
#include <vector>

#include "model/kv_storage.h"

namespace odma::bench {

// `batch` sequences of `ctx` positions in an arena of batch × ctx slots. block_tokens == 0: one
// extent per sequence; else a block table of `block_tokens`-slot blocks (ctx must be a multiple).
// Deterministic for a seed.
std::vector<model::SeqKv> scattered_layout(int batch, int ctx, int block_tokens, unsigned seed = 1);

}  // namespace odma::bench
