// config.json / generation_config.json parsing and validation.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "model/config.h"
#include "model/random_model.h"
#include "model_test_util.h"

namespace odma::model {
namespace {

const char* kQwen = R"({"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2",
  "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
  "intermediate_size": 176, "vocab_size": 1024, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
  "tie_word_embeddings": true, "eos_token_id": 1023, "bos_token_id": 1022})";

std::string with(const std::string& field, const std::string& value) {
  auto j = nlohmann::json::parse(kQwen);
  if (value.empty()) {
    j.erase(field);
  } else {
    j[field] = nlohmann::json::parse(value);
  }
  return j.dump();
}

// The error message must name the offending field.
void expect_error_naming(const std::string& json, const std::string& needle) {
  try {
    parse_model_config(json, "config.json");
    FAIL() << "no error for " << needle;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(ConfigParse, ShippedModelsParse) {
  auto s = load_model_config(testing::model_dir("stories260K-hf"));
  EXPECT_EQ(s.model_type, "llama");
  EXPECT_EQ(s.head_dim, 8);
  EXPECT_EQ(s.num_kv_heads, 4);
  EXPECT_FALSE(s.attention_bias);
  EXPECT_EQ(s.eos_token_ids, std::vector<std::int32_t>{2});
  auto q = load_model_config(testing::model_dir("qwen2-tiny"));
  EXPECT_EQ(q.model_type, "qwen2");
  EXPECT_TRUE(q.attention_bias);  // Qwen2 always has q/k/v bias
  EXPECT_EQ(q.rope_theta, 1e6);
  EXPECT_EQ(q.kv_dim(), 32);
}

TEST(ConfigParse, InconsistentOrMissingFieldsAreNamed) {
  expect_error_naming(with("hidden_size", "66"), "hidden_size");  // 66 % 4 != 0
  expect_error_naming(with("num_key_value_heads", "3"), "num_key_value_heads");
  expect_error_naming(with("vocab_size", ""), "vocab_size");
  expect_error_naming(with("num_hidden_layers", "0"), "num_hidden_layers");
  expect_error_naming(with("intermediate_size", "\"big\""), "intermediate_size");
  expect_error_naming(with("model_type", "\"gpt2\""), "model_type");
  expect_error_naming(with("hidden_act", "\"gelu\""), "hidden_act");
  expect_error_naming(with("rope_scaling", R"({"type": "yarn"})"), "rope_scaling");
  expect_error_naming(with("head_dim", "15"), "head_dim");
  expect_error_naming("[1, 2]", "config.json");
  expect_error_naming("{not json", "config.json");
}

TEST(ConfigParse, GenerationConfigOverridesEosAndBos) {
  ModelConfig c = parse_model_config(kQwen, "config.json");
  apply_generation_config(c, R"({"eos_token_id": [7, 9], "bos_token_id": 5})",
                          "generation_config.json");
  EXPECT_EQ(c.eos_token_ids, (std::vector<std::int32_t>{7, 9}));
  EXPECT_EQ(c.bos_token_id, 5);
  EXPECT_THROW(apply_generation_config(c, R"({"eos_token_id": "x"})", "g.json"), Error);
}

TEST(ConfigParse, WrittenConfigRoundTrips) {
  for (const char* preset : {"tiny", "small", "r1-7b-shape"}) {
    ModelConfig c = preset_config(preset);
    ModelConfig back = parse_model_config(to_config_json(c), preset);
    EXPECT_EQ(back.hidden_size, c.hidden_size);
    EXPECT_EQ(back.head_dim, c.head_dim);
    EXPECT_EQ(back.num_kv_heads, c.num_kv_heads);
    EXPECT_EQ(back.tie_word_embeddings, c.tie_word_embeddings);
    EXPECT_EQ(back.rope_theta, c.rope_theta);
    EXPECT_EQ(back.eos_token_ids, c.eos_token_ids);
  }
  // DESIGN.md: 28 × 2 × 4 × 128 × 2 bytes = 57,344 bytes of BF16 K/V per token.
  EXPECT_EQ(preset_config("r1-7b-shape").kv_bytes_per_token(2), 57344);
  EXPECT_THROW(preset_config("huge"), Error);
}

}  // namespace
}  // namespace odma::model
