// INT8 weights (W8A8) against the same model in BF16: mean KL divergence of the next-token
// distributions and top-1 agreement under teacher forcing, both with BF16 K/V, on stories260K
// (real weights), qwen2-tiny (real weights, BF16 checkpoint) and a random Qwen2 shape. Printed
// beside each figure: weight-only INT8 (the same INT8 weights dequantized to F32, F32 activations:
// design (b) of docs/model.md) and INT8 with the LM head (= tied embedding) left in BF16.
// Bounds (docs/model.md, "INT8 weights", has the measured values): mean KL < 3e-3 nats everywhere
// (≥ 2.5× the largest measured, 1.2e-3 on stories260K); top-1 ≥ 95% on stories260K (measured
// 98%) and ≥ 88% on the nearly flat distributions of qwen2-tiny and the random model (93%), where
// a change in the last bits of two almost equal logits flips the argmax.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "int8_accuracy_util.h"
#include "model/int8_weights.h"
#include "model/random_model.h"
#include "model_test_util.h"

namespace odma::model {
namespace {

using testing::Agreement;
using testing::agreement;
using testing::model_dir;
using testing::random_sequences;

WeightMatrix dequantized(const WeightMatrix& m) {
  WeightMatrix out(DType::kF32, m.rows(), m.cols());
  for (std::int64_t r = 0; r < m.rows(); ++r)
    m.row_to_f32(r, reinterpret_cast<float*>(out.mutable_data()) + r * m.cols());
  return out;
}

// Every matrix of an I8 model as F32 values scale · q.
ModelWeights weight_only(const ModelWeights& w) {
  ModelWeights out;
  out.embed = dequantized(w.embed);
  if (!w.lm_head.empty()) out.lm_head = dequantized(w.lm_head);
  out.final_norm = HugePageFloats(w.final_norm.size());
  std::copy(w.final_norm.begin(), w.final_norm.end(), out.final_norm.begin());
  for (const LayerWeights& l : w.layers) {
    LayerWeights d;
    auto copy = [](const HugePageFloats& v) {
      HugePageFloats c(v.size());
      std::copy(v.begin(), v.end(), c.begin());
      return c;
    };
    d.attn_norm = copy(l.attn_norm);
    d.mlp_norm = copy(l.mlp_norm);
    d.bq = copy(l.bq);
    d.bk = copy(l.bk);
    d.bv = copy(l.bv);
    d.wq = dequantized(l.wq);
    d.wk = dequantized(l.wk);
    d.wv = dequantized(l.wv);
    d.wo = dequantized(l.wo);
    d.w_gate = dequantized(l.w_gate);
    d.w_up = dequantized(l.w_up);
    d.w_down = dequantized(l.w_down);
    out.layers.push_back(std::move(d));
  }
  return out;
}

struct Models {
  std::unique_ptr<Transformer> bf16, int8, weight_only, bf16_head;
};

// `load(dtype)` gives the model's weights in a dtype; the BF16 head variant takes the INT8 model's
// layers and the BF16 model's embedding and head.
template <class Load>
Models models(const ModelConfig& c, Load load) {
  Models m;
  m.bf16 = std::make_unique<Transformer>(c, load(DType::kBF16));
  m.int8 = std::make_unique<Transformer>(c, load(DType::kI8));
  m.weight_only = std::make_unique<Transformer>(c, weight_only(m.int8->weights()));
  ModelWeights mixed = load(DType::kI8);
  ModelWeights bf16 = load(DType::kBF16);
  mixed.embed = std::move(bf16.embed);
  mixed.lm_head = std::move(bf16.lm_head);
  m.bf16_head = std::make_unique<Transformer>(c, std::move(mixed));
  return m;
}

Agreement check(const char* name, const Models& m,
                const std::vector<std::vector<std::int32_t>>& seqs) {
  const Agreement a = agreement(*m.bf16, *m.int8, seqs);
  const Agreement b = agreement(*m.bf16, *m.weight_only, seqs);
  const Agreement h = agreement(*m.bf16, *m.bf16_head, seqs);
  std::printf(
      "[int8 accuracy] %s, %d positions vs BF16: W8A8 mean KL %.2e (max %.2e) top-1 %.4f | "
      "weight-only mean KL %.2e top-1 %.4f | W8A8 with BF16 head mean KL %.2e top-1 %.4f\n",
      name, a.positions, a.mean_kl, a.max_kl, a.top1, b.mean_kl, b.top1, h.mean_kl, h.top1);
  return a;
}

TEST(Int8Accuracy, Stories260KRealWeights) {
  const auto dir = model_dir("stories260K-hf");
  const ModelConfig c = load_model_config(dir);
  const SafetensorsSet set(dir);
  const Models m = models(c, [&](DType d) { return load_weights(c, set, d); });
  const auto seqs = testing::stories_sequences(dir);
  const Agreement a = check("stories260K", m, seqs);
  EXPECT_LT(a.mean_kl, 3e-3);
  EXPECT_GE(a.top1, 0.95);
}

TEST(Int8Accuracy, Qwen2TinyRealWeights) {
  const auto dir = model_dir("qwen2-tiny");
  const ModelConfig c = load_model_config(dir);
  const SafetensorsSet set(dir);
  const Models m = models(c, [&](DType d) { return load_weights(c, set, d); });
  const auto seqs = testing::qwen2_tiny_sequences(dir, c.vocab_size);
  const Agreement a = check("qwen2-tiny", m, seqs);
  EXPECT_LT(a.mean_kl, 3e-3);
  EXPECT_GE(a.top1, 0.88);
}

TEST(Int8Accuracy, RandomQwen2Shape) {
  ModelConfig c = preset_config("small");
  c.num_layers = 4;
  const Models m = models(c, [&](DType d) { return random_weights(c, 3, d); });
  const Agreement a = check("random small (4 layers)", m, random_sequences(4, 64, c.vocab_size, 8));
  EXPECT_LT(a.mean_kl, 3e-3);
  EXPECT_GE(a.top1, 0.88);
}

// The 0.5B shape takes ~40 s here (494 M hashed values per variant, four variants): run by hand
// for docs/model.md with --gtest_also_run_disabled_tests --gtest_filter=Int8Accuracy.DISABLED_*.
// Its random head gives nearly flat distributions (top-1 measured 88–89%): bounded at 85%.
TEST(Int8Accuracy, DISABLED_RandomQwen2HalfBShape) {
  const ModelConfig c = preset_config("qwen2-0.5b-shape");
  const Models m = models(c, [&](DType d) { return random_weights(c, 3, d); });
  const Agreement a = check("random qwen2-0.5b-shape", m, random_sequences(4, 64, c.vocab_size, 9));
  EXPECT_LT(a.mean_kl, 3e-3);
  EXPECT_GE(a.top1, 0.85);
}

}  // namespace
}  // namespace odma::model
