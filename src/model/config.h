// Model hyper-parameters from a Hugging Face model directory (config.json, generation_config.json).
//
// Supported families: LlamaForCausalLM and Qwen2ForCausalLM (pre-norm decoder, RMSNorm, rotate-half
// RoPE, grouped-query attention, SiLU-gated MLP). Qwen2 always has q/k/v biases; Llama has them
// when "attention_bias" is true.
//
// Invariants checked at load (odma::Error naming the field otherwise):
//   head_dim * num_heads == q_dim,   num_heads % num_kv_heads == 0,   head_dim even,
//   every size > 0,   hidden_size % num_heads == 0 unless head_dim is given explicitly.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace odma::model {

struct ModelConfig {
  std::string architecture;   // "LlamaForCausalLM" | "Qwen2ForCausalLM"
  std::string model_type;     // "llama" | "qwen2"
  int hidden_size = 0;        // residual width
  int num_layers = 0;         // num_hidden_layers
  int num_heads = 0;          // query heads
  int num_kv_heads = 0;       // K/V heads (GQA: num_heads % num_kv_heads == 0)
  int head_dim = 0;           // hidden_size / num_heads unless given
  int intermediate_size = 0;  // MLP width
  int vocab_size = 0;
  int max_position_embeddings = 0;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  bool attention_bias = false;       // q/k/v projections carry a bias
  bool tie_word_embeddings = false;  // lm_head == embed_tokens
  std::string torch_dtype;           // informational: weights may be stored in any supported dtype
  std::int32_t bos_token_id = -1;
  std::vector<std::int32_t> eos_token_ids;  // generation stops on any (generation_config wins)

  int q_dim() const { return num_heads * head_dim; }
  int kv_dim() const { return num_kv_heads * head_dim; }
  int group_size() const { return num_heads / num_kv_heads; }  // query heads per KV head
  // Bytes of K+V per token over all layers at `bytes_per_value` (4 = f32, 2 = bf16).
  std::int64_t kv_bytes_per_token(int bytes_per_value) const {
    return std::int64_t{num_layers} * 2 * num_kv_heads * head_dim * bytes_per_value;
  }
};

// Parses config.json text; `source` names the file in error messages.
ModelConfig parse_model_config(const std::string& json_text, const std::string& source);

// Applies generation_config.json (eos/bos ids) on top of `config`.
void apply_generation_config(ModelConfig& config, const std::string& json_text,
                             const std::string& source);

// dir/config.json (required) + dir/generation_config.json (optional).
ModelConfig load_model_config(const std::filesystem::path& dir);

// config.json text for `config` (used by `odma model make-random`).
std::string to_config_json(const ModelConfig& config);

}  // namespace odma::model
