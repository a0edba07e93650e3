// `odma bench` part 2: how a decode step's time grows with the batch. Throughput only rises with
// the batch while weight reads, not arithmetic, bound a step; past that point (batch ≈ 8 for the
// `small` preset on a 2-core CPU) admitting more requests buys nothing, and every KV policy ties.
// This curve is what decides whether a KV budget is "binding" in the end-to-end runs.
//
//   step ms     best wall time of one forward pass with `batch` decode tokens, each at position
//               `ctx` of its own contiguous KV run
//   tokens/s    batch ÷ step time
#pragma once

#include <memory>
#include <vector>

#include "model/transformer.h"

namespace odma::bench {

struct DecodePoint {
  int batch = 0;
  double step_s = 0.0;
  double tokens_per_s = 0.0;
};

std::vector<DecodePoint> measure_decode_curve(const model::Transformer& model,
                                              const std::vector<int>& batches, int ctx,
                                              int repetitions);

}  // namespace odma::bench
