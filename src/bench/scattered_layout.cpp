#include "bench/scattered_layout.h"

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <random>

namespace odma::bench {

std::vector<model::SeqKv> scattered_layout(int batch, int ctx, int block_tokens, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<model::SeqKv> seqs;
  if (block_tokens == 0) {
    std::vector<int> order(static_cast<std::size_t>(batch));
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    for (int b = 0; b < batch; ++b) {
      seqs.push_back(model::SeqKv::contiguous(
          {{std::int64_t{order[static_cast<std::size_t>(b)]} * ctx, ctx}}));
    }
    return seqs;
  }
  const std::int64_t capacity = std::int64_t{batch} * ctx;
  std::vector<std::int64_t> blocks(static_cast<std::size_t>(capacity / block_tokens));
  std::iota(blocks.begin(), blocks.end(), 0);
  std::shuffle(blocks.begin(), blocks.end(), rng);
  const std::size_t per_seq = static_cast<std::size_t>(ctx / block_tokens);
  for (int b = 0; b < batch; ++b) {
    const auto first = static_cast<std::ptrdiff_t>(static_cast<std::size_t>(b) * per_seq);
    std::vector<std::int64_t> table(blocks.begin() + first,
                                    blocks.begin() + first + static_cast<std::ptrdiff_t>(per_seq));
    for (auto& t : table) t *= block_tokens;
    seqs.push_back(model::SeqKv::paged(std::move(table), block_tokens));
  }
  return seqs;
}

}  // namespace odma::bench
