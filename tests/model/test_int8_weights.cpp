// INT8 weights at rest: per-row symmetric quantization as int8_weights.h states, the I8
// WeightMatrix layout (values, scales, row sums), the embedding lookup, loading a checkpoint with
// kI8 equal to quantizing the in-memory model, and the `--quantization` flag.
#include "model/int8_weights.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "base/error.h"
#include "model/random_model.h"
#include "model/transformer.h"
#include "model_test_util.h"

namespace odma::model {
namespace {

TEST(Int8Weights, RowsAreQuantizedSymmetricallyWithTheirOwnScale) {
  std::mt19937 rng(1);
  std::normal_distribution<float> d(0.0f, 0.1f);
  WeightMatrix f(DType::kF32, 5, 37);
  auto* v = reinterpret_cast<float*>(f.mutable_data());
  for (int i = 0; i < 5 * 37; ++i) v[i] = d(rng) * static_cast<float>(1 + i / 37);
  for (int c = 0; c < 37; ++c) v[3 * 37 + c] = 0.0f;  // a zero row
  const WeightMatrix q = quantize_int8(f);
  ASSERT_EQ(q.dtype(), DType::kI8);
  const WeightRef r = q.ref();
  for (int row = 0; row < 5; ++row) {
    float amax = 0.0f;
    for (int c = 0; c < 37; ++c) amax = std::max(amax, std::abs(f.at(row, c)));
    EXPECT_EQ(r.scales[row], amax / 127.0f);
    std::int32_t sum = 0;
    int extreme = 0;
    for (int c = 0; c < 37; ++c) {
      const int qv = r.i8()[row * 37 + c];
      sum += qv;
      extreme = std::max(extreme, std::abs(qv));
      EXPECT_LE(std::abs(q.at(row, c) - f.at(row, c)), r.scales[row] / 2 * 1.0001f);
    }
    EXPECT_EQ(r.row_sums[row], sum);
    EXPECT_EQ(extreme, row == 3 ? 0 : 127);
  }
  std::vector<float> out(37);
  q.row_to_f32(2, out.data());
  for (int c = 0; c < 37; ++c) EXPECT_EQ(out[c], q.at(2, c));
  EXPECT_EQ(q.bytes(), 5u * 37 + (192 - 185) + 5 * 8);  // values padded to 64 B, scales, sums
}

TEST(Int8Weights, LoadingQuantizesLikeTheInMemoryModelAtOneBytePerValue) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("odma_int8_" + std::to_string(::getpid()));
  const ModelConfig c = preset_config("tiny");
  write_random_model(dir, c, 9, true);
  const auto loaded = Transformer::load(dir, LoadOptions{DType::kI8});
  std::filesystem::remove_all(dir);
  const ModelWeights mem = random_weights(c, 9, DType::kI8);
  EXPECT_EQ(loaded->weights().dtype(), DType::kI8);
  EXPECT_EQ(loaded->weights().embed, mem.embed);
  EXPECT_EQ(loaded->weights().layers[1].w_down, mem.layers[1].w_down);
  EXPECT_EQ(loaded->default_kv_dtype(), DType::kBF16);
  // Each matrix holds 1 byte per value (padded to 64) + 8 per row (scale, sum), BF16 2 per value.
  const ModelWeights bf16 = random_weights(c, 9, DType::kBF16);
  for (const auto* m : {&mem.embed, &mem.layers[0].w_gate, &mem.layers[1].wk}) {
    const std::size_t values = static_cast<std::size_t>(m->rows() * m->cols());
    EXPECT_EQ(m->bytes(), (values + 63) / 64 * 64 + static_cast<std::size_t>(m->rows()) * 8);
  }
  EXPECT_EQ(mem.parameters(), bf16.parameters());
}

TEST(Int8Weights, QuantizationFlagTakesNoneAndInt8) {
  EXPECT_EQ(parse_weight_flags("auto", "none"), std::nullopt);
  EXPECT_EQ(parse_weight_flags("bf16", "none"), DType::kBF16);
  EXPECT_EQ(parse_weight_flags("auto", "int8"), DType::kI8);
  EXPECT_THROW(parse_weight_flags("f32", "int8"), Error);
  EXPECT_THROW(parse_weight_flags("auto", "fp8"), Error);
}

}  // namespace
}  // namespace odma::model
