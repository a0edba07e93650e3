#include <gtest/gtest.h>

#include "sim/cost_model.h"
#include "sim_fixtures.h"

namespace odma::sim {
namespace {

using testing::device;
using testing::tiny_shape;

TEST(CostModel, MemoryBoundDecodeIsWeightsPlusKvOverBandwidth) {
  const ModelShape s = tiny_shape();
  const double bw = 1e9;
  CostModel cm(device(bw, 1e30, 0.0), s);
  StepWork w;
  kv::Allocation a{{{0, 64}}, 64, 40};
  // Two decodes at positions 9 and 19: read 10 and 20 keys, write one token each.
  cm.add_item(w, {1, kv::WorkKind::kDecode, 9, 1, true}, &a);
  cm.add_item(w, {2, kv::WorkKind::kDecode, 19, 1, true}, &a);
  EXPECT_EQ(w.tokens, 2);
  EXPECT_EQ(w.emitted, 2);
  EXPECT_DOUBLE_EQ(w.attended_keys, 30);
  StepTime t = cm.step_time(w);
  EXPECT_TRUE(t.linear_memory_bound);
  EXPECT_TRUE(t.attention_memory_bound);
  EXPECT_DOUBLE_EQ(t.linear_s, s.weight_read_bytes() / bw);
  EXPECT_DOUBLE_EQ(t.attention_s, (30 + 2) * 256.0 / bw);
  EXPECT_DOUBLE_EQ(t.total(), s.weight_read_bytes() / bw + 32 * 256.0 / bw);
}

TEST(CostModel, ComputeBoundPrefillIsFlopsOverRate) {
  const ModelShape s = tiny_shape();
  const double flops = 1e9;
  CostModel cm(device(1e30, flops, 0.5), s);
  StepWork w;
  // A 10-token chunk starting at position 6 attends to 10·6 + 10·11/2 = 115 keys; not emitting.
  cm.add_item(w, {1, kv::WorkKind::kPrefill, 6, 10, false}, nullptr);
  StepTime t = cm.step_time(w);
  EXPECT_FALSE(t.linear_memory_bound);
  EXPECT_FALSE(t.attention_memory_bound);
  const double body = static_cast<double>(s.body_params());
  EXPECT_DOUBLE_EQ(t.linear_s, 2 * body * 10 / flops);
  EXPECT_DOUBLE_EQ(t.attention_s, 4.0 * 2 * 4 * 16 * 115 / flops);
  EXPECT_DOUBLE_EQ(t.overhead_s, 0.5);
  // The last chunk samples a token: one row through lm_head.
  StepWork w2;
  cm.add_item(w2, {1, kv::WorkKind::kPrefill, 6, 10, true}, nullptr);
  EXPECT_DOUBLE_EQ(cm.step_time(w2).linear_s, (2 * body * 10 + 2.0 * 100 * 64) / flops);
}

TEST(CostModel, PagedRunsPayAlphaAtBlockGranularity) {
  ModelShape s = tiny_shape();
  s.head_dim = 128;  // plane bytes per token = 256, so a 16-token block is a 4 KiB run
  const double bw = 1e9;
  CostModel cm(device(bw, 1e30, 0.0, {{4096, 0.5}, {65536, 1.0}}), s);
  const double kvb = static_cast<double>(s.kv_bytes_per_token());
  std::vector<kv::Extent> blocks;
  for (int i = 0; i < 8; ++i) blocks.push_back({1000 - 16 * i, 16});  // scattered 16-token blocks
  const std::vector<kv::Extent> one{{0, 256}};
  // 128 keys: 8 runs of 4 KiB at α 0.5 vs one 32 KiB run at α = 0.5 + 0.5·(15−12)/(16−12).
  EXPECT_DOUBLE_EQ(cm.kv_read_seq_bytes(&blocks, 128), 128 * kvb / 0.5);
  EXPECT_DOUBLE_EQ(cm.kv_read_seq_bytes(&one, 128), 128 * kvb / 0.875);
  // A partial last block is a shorter run: 3 full blocks + 4 tokens (1 KiB, clamped to α 0.5).
  EXPECT_DOUBLE_EQ(cm.kv_read_seq_bytes(&blocks, 52), 52 * kvb / 0.5);
  // Runs longer than the curve's last point stream at full speed.
  const std::vector<kv::Extent> big{{0, 4096}};
  EXPECT_DOUBLE_EQ(cm.kv_read_seq_bytes(&big, 1024), 1024 * kvb);
}

TEST(CostModel, CopiesAreReadPlusWriteAtSequentialBandwidth) {
  const ModelShape s = tiny_shape();
  CostModel cm(device(1e9, 1e12, 0.0), s);
  StepWork w;
  cm.add_copies(w, {{0, 100, 30}, {200, 300, 12}});
  EXPECT_EQ(w.copied_tokens, 42);
  StepTime t = cm.step_time(w);
  EXPECT_DOUBLE_EQ(t.copy_s, 2.0 * 42 * 256 / 1e9);
  EXPECT_DOUBLE_EQ(t.linear_s, 0.0);  // nothing computed: no weights read
}

}  // namespace
}  // namespace odma::sim
