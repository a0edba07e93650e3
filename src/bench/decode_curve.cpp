#include "bench/decode_curve.h"

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace odma::bench {

std::vector<DecodePoint> measure_decode_curve(const model::Transformer& model,
                                              const std::vector<int>& batches, int ctx,
                                              int repetitions) {
  std::vector<DecodePoint> curve;
  const int vocab = model.config().vocab_size;
  for (int batch : batches) {
    const std::int64_t per_seq = ctx + 1;
    auto storage = model.make_storage(per_seq * batch);
    std::vector<std::int32_t> tokens(static_cast<std::size_t>(batch), 5);
    std::vector<model::BatchItem> items;
    for (int b = 0; b < batch; ++b) {
      items.push_back({&tokens[static_cast<std::size_t>(b)], 1, ctx,
                       model::SeqKv::contiguous({{per_seq * b, per_seq}})});
    }
    std::vector<float> logits(static_cast<std::size_t>(batch) * static_cast<std::size_t>(vocab));
    model.forward(items, *storage, logits.data());  // warm-up: pages committed
    double best = 1e30;
    for (int r = 0; r < repetitions; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      model.forward(items, *storage, logits.data());
      best = std::min(best,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    curve.push_back({batch, best, batch / best});
  }
  return curve;
}

}  // namespace odma::bench
