// The shape of a decoder-only transformer (Llama/Qwen2 family), as far as serving cost goes: how
// many bytes of weights a step reads, how many FLOPs a token costs, how many KV bytes a token
// stores.
//
// Read from a Hugging Face config.json or a shipped shape (data/model_shapes/<name>.json: the same
// format plus "name"), through the model layer's one config.json parser (model/config.h), so the
// engine and the simulator cannot disagree about a model; torch_dtype gives the bytes per value.
//
// Formulas (per DESIGN.md, GQA, SiLU-gated MLP, untied or tied head):
//   kv_bytes_per_token    = layers × 2 (K,V) × kv_heads × plane_bytes_per_token
//   plane_bytes_per_token = head_dim × dtype_bytes    (one token in one (layer, K/V, head) plane;
//                           INT8 KV, --kv-dtype int8: head_dim × 1 + 4, the row's F32 scale)
//   body_params           = layers × (hidden·q_dim + 2·hidden·kv_dim + q_dim·hidden
//                                     + 3·hidden·intermediate + 2·hidden [+ q_dim + 2·kv_dim bias])
//                           + hidden (final norm)
//   head_params           = vocab × hidden        (lm_head; the embedding itself when tied)
//   weight_bytes (memory) = (body + head + (untied ? vocab·hidden : 0)) × weight_value_bytes
//   weight_read_bytes     = (body + head) × weight_value_bytes per step (embedding lookups are
//   row gathers)
// weight_value_bytes is dtype_bytes unless the weights are quantized (--quantization int8: 1; the
// engine's 8 bytes of scale and sum per row add under 1% at hidden ≥ 896 and are left out).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/config.h"

namespace odma::sim {

struct ModelShape {
  std::string name;
  std::int64_t hidden = 0;
  std::int64_t layers = 0;
  std::int64_t heads = 0;     // query heads
  std::int64_t kv_heads = 0;  // K/V heads
  std::int64_t head_dim = 0;
  std::int64_t intermediate = 0;
  std::int64_t vocab = 0;
  std::int64_t dtype_bytes = 2;             // weights and KV (bf16 = 2)
  std::int64_t quantized_weight_bytes = 0;  // 0: weights in dtype_bytes; INT8 weights: 1
  bool int8_kv = false;                     // K/V rows in INT8 with an F32 scale each
  bool tied_embeddings = false;
  bool qkv_bias = false;
  std::int64_t max_position_embeddings = 0;  // informational

  std::int64_t q_dim() const { return heads * head_dim; }
  std::int64_t kv_dim() const { return kv_heads * head_dim; }
  std::int64_t kv_bytes_per_token() const {
    return layers * 2 * kv_heads * plane_bytes_per_token();
  }
  std::int64_t plane_bytes_per_token() const {
    return int8_kv ? head_dim + 4 : head_dim * dtype_bytes;
  }
  std::int64_t body_params() const;
  std::int64_t head_params() const { return vocab * hidden; }
  std::int64_t total_params() const {
    return body_params() + head_params() + (tied_embeddings ? 0 : vocab * hidden);
  }
  std::int64_t weight_value_bytes() const {
    return quantized_weight_bytes > 0 ? quantized_weight_bytes : dtype_bytes;
  }
  double weight_bytes() const { return static_cast<double>(total_params() * weight_value_bytes()); }
  double weight_read_bytes() const {
    return static_cast<double>((body_params() + head_params()) * weight_value_bytes());
  }
};

// The shape of a parsed model config, at `dtype_bytes` per weight and KV value (the engine computes
// in F32: 4; a BF16 checkpoint served as stored: 2).
ModelShape shape_of(const model::ModelConfig& config, std::string name, std::int64_t dtype_bytes);

// Parses config.json-style text (model::parse_model_config: every field checked, errors name
// `source` and the field), bytes per value from torch_dtype (bfloat16 when absent).
ModelShape parse_model_shape(const std::string& json_text, const std::string& source);

// A path (contains '/' or ends in ".json"; a directory means its config.json) or a shipped name
// (data/model_shapes/<name>.json).
ModelShape load_model_shape(const std::string& name_or_path);

std::vector<std::string> model_shape_names();

}  // namespace odma::sim
