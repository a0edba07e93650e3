// Self-consistency of the batched forward pass on a Qwen2-shaped random model: KV placement
// (contiguous, chained, paged), batching, chunked prefill and mid-generation migration must not
// change a single generated token.
#include <gtest/gtest.h>

#include <numeric>
#include <random>
#include <set>

#include "base/error.h"
#include "model/random_model.h"
#include "model_test_util.h"
#include "test_scale.h"

namespace odma::model {
namespace {

using testing::generate;
using testing::max_abs_diff;

// Seeded sampling at temperature 1 gives varied tokens on a random model (greedy tends to lock
// into one repeated token); the same logits and seed always give the same tokens.
const SamplingParams kSampled{1.0f, 0, 1.0f, 1234};

class ForwardConsistency : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ModelConfig c = preset_config("tiny");
    c.num_layers = 3;
    model_ = new Transformer(c, random_weights(c, 42));
  }
  static void TearDownTestSuite() { delete model_; }
  static std::vector<std::int32_t> prompt(int n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<std::int32_t> p(static_cast<std::size_t>(n));
    for (auto& t : p) t = static_cast<std::int32_t>(rng() % 1022);
    return p;
  }
  static Transformer* model_;
};
Transformer* ForwardConsistency::model_ = nullptr;

TEST_F(ForwardConsistency, ContiguousChainedAndPagedPlacementsGiveSameTokens) {
  const int n_new = static_cast<int>(odma::testing::scaled(40, 8));
  auto st = model_->make_storage(1024);
  const auto p = prompt(13, 1);
  const auto want = generate(*model_, *st, SeqKv::contiguous({{0, 128}}), p, n_new, 0, kSampled);
  // The run must not be trivially constant, or placement bugs could hide.
  EXPECT_GE(std::set<std::int32_t>(want.tokens.begin(), want.tokens.end()).size(),
            static_cast<std::size_t>(n_new / 2));
  const auto chained = generate(*model_, *st, SeqKv::contiguous({{512, 16}, {160, 32}, {800, 80}}),
                                p, n_new, 0, kSampled);
  EXPECT_EQ(chained.tokens, want.tokens);
  EXPECT_EQ(chained.logits, want.logits);  // bitwise: same math in the same order
  std::mt19937 rng(3);
  for (int bt : {16, 1}) {
    const auto blocks = testing::scattered_blocks(1024, bt, 128, rng);
    const auto paged = generate(*model_, *st, SeqKv::paged(blocks, bt), p, n_new, 0, kSampled);
    EXPECT_EQ(paged.tokens, want.tokens) << "block " << bt;
    EXPECT_EQ(paged.logits, want.logits) << "block " << bt;
  }
}

TEST_F(ForwardConsistency, ChunkedPrefillEqualsFullPrefill) {
  auto st = model_->make_storage(256);
  const auto p = prompt(37, 2);
  const SeqKv kv = SeqKv::contiguous({{64, 96}});
  const auto want = generate(*model_, *st, kv, p, 20, 0, kSampled);
  for (int chunk : {1, 5, 16}) {
    const auto got = generate(*model_, *st, kv, p, 20, chunk, kSampled);
    EXPECT_EQ(got.tokens, want.tokens) << chunk;
    // Matrix products over fewer rows may round differently; the logits stay within float noise.
    EXPECT_LT(max_abs_diff(got.logits, want.logits), 1e-4f) << chunk;
  }
}

TEST_F(ForwardConsistency, BatchedEqualsOneByOne) {
  const int n_req = 5, n_new = static_cast<int>(odma::testing::scaled(24, 6));
  const int vocab = model_->config().vocab_size;
  std::vector<std::vector<std::int32_t>> prompts;
  std::vector<std::vector<std::int32_t>> want;
  auto st = model_->make_storage(2048);
  std::vector<SeqKv> kvs;
  for (int r = 0; r < n_req; ++r) {
    prompts.push_back(prompt(3 + 7 * r, 10 + static_cast<std::uint32_t>(r)));
    // Mixed layouts in one batch: even requests contiguous, odd ones paged.
    if (r % 2 == 0) {
      kvs.push_back(SeqKv::contiguous({{r * 256, 128}}));
    } else {
      std::vector<std::int64_t> blocks;
      for (int b = 0; b < 8; ++b) blocks.push_back(r * 256 + (7 - b) * 16);
      kvs.push_back(SeqKv::paged(blocks, 16));
    }
    want.push_back(generate(*model_, *st, kvs.back(), prompts.back(), n_new, 0, kSampled).tokens);
  }
  // All prefills in one call, then every decode step batched.
  std::vector<std::vector<std::int32_t>> got(n_req);
  std::vector<Sampler> samplers(n_req, Sampler(kSampled));
  std::vector<float> logits(static_cast<std::size_t>(n_req * vocab));
  std::vector<BatchItem> batch;
  for (int r = 0; r < n_req; ++r) {
    batch.push_back({prompts[r].data(), static_cast<int>(prompts[r].size()), 0, kvs[r]});
  }
  for (int step = 0; step < n_new; ++step) {
    model_->forward(batch, *st, logits.data());
    for (int r = 0; r < n_req; ++r) {
      got[r].push_back(samplers[r].sample(logits.data() + r * vocab, vocab));
      batch[r] = {&got[r].back(), 1, static_cast<int>(prompts[r].size()) + step, kvs[r]};
    }
  }
  for (int r = 0; r < n_req; ++r) EXPECT_EQ(got[r], want[r]) << "request " << r;
}

TEST_F(ForwardConsistency, MigrationMidGenerationChangesNoToken) {
  const int vocab = model_->config().vocab_size;
  auto st = model_->make_storage(512);
  const auto p = prompt(11, 4);
  const int n_new = 30, migrate_at = 12;
  const auto want = generate(*model_, *st, SeqKv::contiguous({{40, 64}}), p, n_new, 0, kSampled);
  Sampler sampler(kSampled);
  // Same run, but after `migrate_at` tokens the policy moves the request: first to an overlapping
  // range further right (memmove case), later to a disjoint extent at the front.
  std::vector<float> logits(static_cast<std::size_t>(vocab));
  SeqKv kv = SeqKv::contiguous({{40, 64}});
  BatchItem it{p.data(), static_cast<int>(p.size()), 0, kv};
  std::vector<std::int32_t> got;
  for (int i = 0; i < n_new; ++i) {
    model_->forward({it}, *st, logits.data());
    got.push_back(sampler.sample(logits.data(), vocab));
    const int stored = static_cast<int>(p.size()) + i;  // positions written so far
    if (i == migrate_at) {
      model_->copy_kv(*st, std::vector<kv::CopyOp>{{40, 60, stored}});
      kv = SeqKv::contiguous({{60, 64}});
    } else if (i == migrate_at + 7) {
      model_->copy_kv(*st, std::vector<kv::CopyOp>{{60, 0, stored}});
      kv = SeqKv::contiguous({{0, 64}});
    }
    it = {&got.back(), 1, static_cast<int>(p.size()) + i, kv};
  }
  EXPECT_EQ(got, want.tokens);
}

TEST_F(ForwardConsistency, BadBatchItemsAreRejected) {
  auto st = model_->make_storage(64);
  std::vector<float> logits(static_cast<std::size_t>(model_->config().vocab_size));
  const std::int32_t bad = 5000, good = 5;
  EXPECT_THROW(model_->forward({{&bad, 1, 0, SeqKv::contiguous({{0, 16}})}}, *st, logits.data()),
               Error);
  EXPECT_THROW(model_->forward({{&good, 1, 16, SeqKv::contiguous({{0, 16}})}}, *st, logits.data()),
               Error);
  EXPECT_THROW(model_->forward({{&good, 1, 4, SeqKv::contiguous({{60, 16}})}}, *st, logits.data()),
               Error);
  KvStorage wrong(1, 2, 16, 64);
  EXPECT_THROW(model_->forward({{&good, 1, 0, SeqKv::contiguous({{0, 16}})}}, wrong, logits.data()),
               Error);
}

}  // namespace
}  // namespace odma::model
