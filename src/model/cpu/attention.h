// Causal multi-head attention over the planar KV arena, for a batch of sequences.
//
// Math (per query head h, query at position t, kv head g = h / group_size):
//   out_h = Σ_{p <= t} softmax_p(q_h · K_g[p] / √head_dim) · V_g[p]
// K/V of position p live at slot SeqKv::slot(p) of the (layer, K|V, g) planes.
//
// Two kernels compute exactly the same numbers (bitwise: positions are visited in order and every
// per-position operation is the same):
//   contiguous  walks the sequence's extents; each extent is one sequential run per plane.
//   paged       walks a block table of `block_tokens`-slot blocks, prefetching the next block.
// Work is split over (sequence, query token, kv head) tasks on a ThreadPool; one task reads each
// K and V row once for all `group_size` query heads that share it (GQA).
//
// A BF16 arena (KvStorage::dtype()) goes through attend_bf16 (attention_bf16.h) with the same
// tasks and the same runs (one per extent or block), so contiguous and paged stay bitwise equal
// there too; an INT8 arena likewise through attend_i8 (attention_i8.h).
#pragma once

#include <span>

#include "model/cpu/thread_pool.h"
#include "model/kernels.h"
#include "model/kv_storage.h"

namespace odma::model::cpu {

void attention(const KvStorage& storage, int layer, int num_heads,
               std::span<const AttentionItem> items, ThreadPool& pool);

// One task on an F32 arena: query heads [kv_head × group, (kv_head + 1) × group) of one token over
// positions [0, ctx). `q` and `out` point at the first of those heads. Exposed for the benchmark.
void attend_contiguous(const KvStorage& storage, int layer, int kv_head, int group, const SeqKv& kv,
                       int ctx, const float* q, float* out);
void attend_paged(const KvStorage& storage, int layer, int kv_head, int group, const SeqKv& kv,
                  int ctx, const float* q, float* out);

}  // namespace odma::model::cpu
