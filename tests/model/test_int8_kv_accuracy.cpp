// INT8 K/V against the same model with BF16 K/V (and INT8 weights + INT8 K/V against BF16 + BF16):
// mean KL divergence of the next-token distributions and top-1 agreement under teacher forcing,
// on stories260K (real weights), qwen2-tiny (real weights) and a random Qwen2 shape. Each
// prefill's positions attend over K/V already stored in INT8, so every position carries the
// quantization of its whole context.
// Bounds (docs/model.md, "INT8 KV", has the measured values): INT8 K/V alone mean KL < 3e-3
// nats, and with INT8 weights < 6e-3 (the two errors add); top-1 as the INT8 weight tests: ≥ 95% on
// stories260K, ≥ 88% on the nearly flat distributions of qwen2-tiny and the random model.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "int8_accuracy_util.h"
#include "model/random_model.h"
#include "model_test_util.h"

namespace odma::model {
namespace {

using testing::Agreement;
using testing::agreement;
using testing::model_dir;
using testing::random_sequences;

struct Pair {
  Agreement kv, both;
};

// bf16: the reference (BF16 weights, BF16 K/V); int8: INT8 weights of the same model.
Pair check(const char* name, const Transformer& bf16, const Transformer& int8,
           const std::vector<std::vector<std::int32_t>>& seqs) {
  Pair p{agreement(bf16, bf16, seqs, DType::kBF16, DType::kI8),
         agreement(bf16, int8, seqs, DType::kBF16, DType::kI8)};
  std::printf(
      "[int8 kv accuracy] %s, %d positions vs BF16 weights + BF16 K/V: INT8 K/V mean KL %.2e "
      "(max %.2e) top-1 %.4f | INT8 weights + INT8 K/V mean KL %.2e (max %.2e) top-1 %.4f\n",
      name, p.kv.positions, p.kv.mean_kl, p.kv.max_kl, p.kv.top1, p.both.mean_kl, p.both.max_kl,
      p.both.top1);
  return p;
}

void expect_within(const Pair& p, double top1) {
  EXPECT_LT(p.kv.mean_kl, 3e-3);
  EXPECT_LT(p.both.mean_kl, 6e-3);
  EXPECT_GE(p.kv.top1, top1);
  EXPECT_GE(p.both.top1, top1);
}

TEST(Int8KvAccuracy, Stories260KRealWeights) {
  const auto dir = model_dir("stories260K-hf");
  const ModelConfig c = load_model_config(dir);
  const SafetensorsSet set(dir);
  const Transformer bf16(c, load_weights(c, set, DType::kBF16));
  const Transformer int8(c, load_weights(c, set, DType::kI8));
  const auto seqs = testing::stories_sequences(dir);
  expect_within(check("stories260K", bf16, int8, seqs), 0.95);
}

TEST(Int8KvAccuracy, Qwen2TinyRealWeights) {
  const auto dir = model_dir("qwen2-tiny");
  const ModelConfig c = load_model_config(dir);
  const SafetensorsSet set(dir);
  const Transformer bf16(c, load_weights(c, set, DType::kBF16));
  const Transformer int8(c, load_weights(c, set, DType::kI8));
  const auto seqs = testing::qwen2_tiny_sequences(dir, c.vocab_size);
  expect_within(check("qwen2-tiny", bf16, int8, seqs), 0.88);
}

TEST(Int8KvAccuracy, RandomQwen2Shape) {
  ModelConfig c = preset_config("small");
  c.num_layers = 4;
  const Transformer bf16(c, random_weights(c, 3, DType::kBF16));
  const Transformer int8(c, random_weights(c, 3, DType::kI8));
  expect_within(
      check("random small (4 layers)", bf16, int8, random_sequences(4, 64, c.vocab_size, 8)), 0.88);
}

// By hand for docs/model.md (~30 s): --gtest_also_run_disabled_tests
// --gtest_filter=Int8KvAccuracy.DISABLED_*.
TEST(Int8KvAccuracy, DISABLED_RandomQwen2HalfBShape) {
  const ModelConfig c = preset_config("qwen2-0.5b-shape");
  const Transformer bf16(c, random_weights(c, 3, DType::kBF16));
  const Transformer int8(c, random_weights(c, 3, DType::kI8));
  const Pair p =
      check("random qwen2-0.5b-shape", bf16, int8, random_sequences(4, 64, c.vocab_size, 9));
  EXPECT_LT(p.kv.mean_kl, 3e-3);
  EXPECT_LT(p.both.mean_kl, 6e-3);
}

}  // namespace
}  // namespace odma::model
