#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/file_io.h"
#include "model/random_model.h"
#include "sim/cost_model.h"
#include "sim/device_profile.h"
#include "sim/model_shape.h"

namespace odma::sim {
namespace {

TEST(ModelShape, R1SevenBMatchesDesign) {
  ModelShape s = load_model_shape("r1-7b-shape");
  EXPECT_EQ(s.kv_bytes_per_token(), 57344);  // 28 × 2 × 4 × 128 × 2, DESIGN.md
  EXPECT_EQ(s.plane_bytes_per_token(), 256);
  // Published parameter count of Qwen2.5-7B / DeepSeek-R1-Distill-Qwen-7B.
  EXPECT_EQ(s.total_params(), 7615616512);
  EXPECT_DOUBLE_EQ(s.weight_bytes(), 2.0 * 7615616512);
  // One step reads everything but the embedding table (row gathers).
  EXPECT_DOUBLE_EQ(s.weight_read_bytes(), 2.0 * (7615616512 - 152064LL * 3584));
}

TEST(ModelShape, ParsesHuggingFaceConfig) {
  const std::string path = data_file("models/qwen2-tiny/config.json").string();
  auto j = nlohmann::json::parse(read_file(path));
  ModelShape s = load_model_shape(path);
  EXPECT_EQ(s.hidden, j["hidden_size"].get<std::int64_t>());
  EXPECT_EQ(s.layers, j["num_hidden_layers"].get<std::int64_t>());
  EXPECT_EQ(s.kv_heads, j["num_key_value_heads"].get<std::int64_t>());
  EXPECT_TRUE(s.qkv_bias);  // qwen2
  EXPECT_EQ(s.kv_bytes_per_token(), s.layers * 2 * s.kv_heads * s.head_dim * s.dtype_bytes);
}

TEST(ModelShape, RejectsBadConfigs) {
  auto base = nlohmann::json::parse(R"({"model_type": "qwen2", "hidden_size": 64,
      "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
      "intermediate_size": 128, "vocab_size": 100})");
  EXPECT_EQ(parse_model_shape(base.dump(), "c.json").head_dim, 16);
  auto j = base;
  j.erase("vocab_size");
  EXPECT_THROW((void)parse_model_shape(j.dump(), "c.json"), Error);
  j = base;
  j["num_key_value_heads"] = 3;
  EXPECT_THROW((void)parse_model_shape(j.dump(), "c.json"), Error);
  j = base;
  j["torch_dtype"] = "float13";
  EXPECT_THROW((void)parse_model_shape(j.dump(), "c.json"), Error);
  j = base;
  j["hidden_size"] = -64;
  try {
    (void)parse_model_shape(j.dump(), "c.json");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("c.json: field \"hidden_size\" must be a positive"),
              std::string::npos)
        << e.what();
  }
}

// The engine and the simulator read one parser: a shipped shape is exactly its preset.
TEST(ModelShape, EveryShippedShapeIsTheModelPresetOfTheSameName) {
  for (const std::string& name : model_shape_names()) {
    SCOPED_TRACE(name);
    const ModelShape s = load_model_shape(name);
    const ModelShape from_preset = shape_of(model::preset_config(name), name, s.dtype_bytes);
    EXPECT_EQ(s.name, name);
    EXPECT_EQ(s.total_params(), from_preset.total_params());
    EXPECT_EQ(s.kv_bytes_per_token(), from_preset.kv_bytes_per_token());
    EXPECT_EQ(s.qkv_bias, from_preset.qkv_bias);
    EXPECT_EQ(s.tied_embeddings, from_preset.tied_embeddings);
  }
  // Qwen2-0.5B: 494 M parameters (tied head), as published.
  EXPECT_NEAR(static_cast<double>(load_model_shape("qwen2-0.5b-shape").total_params()), 494.0e6,
              1.0e6);
  // Unknown model families fail in the shared parser, naming the field.
  EXPECT_THROW((void)parse_model_shape(R"({"model_type": "gpt2"})", "c.json"), Error);
}

TEST(ModelShape, KvCapacityIsMemoryLeftAfterWeights) {
  ModelShape s = load_model_shape("r1-7b-shape");
  DeviceProfile d = load_device_profile("mlu370-x4");
  const double room = d.memory_bytes * (1 - d.reserved_memory_fraction) - s.weight_bytes();
  EXPECT_EQ(kv_capacity_tokens(d, s), static_cast<std::int64_t>(room / 57344));
  d.memory_bytes = 16e9;  // 14.4 GB usable < 15.2 GB of weights
  EXPECT_THROW((void)kv_capacity_tokens(d, s), Error);
}

// --quantization int8: one byte per weight in memory and in every step's reads; K/V unchanged, so
// the memory freed goes to KV slots.
TEST(ModelShape, Int8WeightsHalveWeightBytesAndLeaveTheRestToKv) {
  ModelShape s = load_model_shape("r1-7b-shape");
  const ModelShape bf16 = s;
  s.quantized_weight_bytes = 1;
  EXPECT_DOUBLE_EQ(s.weight_bytes(), 7615616512.0);
  EXPECT_DOUBLE_EQ(s.weight_read_bytes(), 2 * bf16.weight_read_bytes() / 4);
  EXPECT_EQ(s.kv_bytes_per_token(), bf16.kv_bytes_per_token());
  DeviceProfile d = load_device_profile("mlu370-x4");
  d.memory_bytes = 16e9;  // too small for BF16 weights (above), room for INT8 ones
  const double room = d.memory_bytes * (1 - d.reserved_memory_fraction) - 7615616512.0;
  EXPECT_EQ(kv_capacity_tokens(d, s), static_cast<std::int64_t>(room / 57344));
  // A one-token step is weight reads: INT8's linear phase takes half as long.
  StepWork one;
  one.tokens = 1;
  one.emitted = 1;
  const DeviceProfile device = load_device_profile("mlu370-x4");
  EXPECT_NEAR(CostModel(device, s).step_time(one).linear_s,
              CostModel(device, bf16).step_time(one).linear_s / 2, 1e-9);
}

}  // namespace
}  // namespace odma::sim
