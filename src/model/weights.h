// Model weights in the dtype they are served in, laid out as the HF checkpoint stores them:
// every projection is row-major [out_features][in_features], so y = x · Wᵀ.
//
// Projections, the embedding and the head are WeightMatrix (F32, BF16 or I8, one huge-page copy
// per tensor); norms and biases are F32 (a few KiB: the vector math stays F32).
//
// Memory per parameter: 1 byte in I8 (+ 8 per row), 2 in BF16, 4 in F32. DeepSeek-R1-Distill-
// Qwen-7B (7.6 G params): 15.2 GB BF16, 30.5 GB F32. Which dtype a load picks: LoadOptions
// (weights.h) and docs/model.md.
//
// Every tensor's shape is checked against the config (odma::Error naming the tensor otherwise).
#pragma once

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "model/config.h"
#include "model/cpu/mapped_buffer.h"
#include "model/safetensors.h"
#include "model/weight_matrix.h"

namespace odma::model {

using cpu::HugePageFloats;  // norms and biases

struct LayerWeights {
  HugePageFloats attn_norm;   // [hidden]
  WeightMatrix wq, wk, wv;    // [q_dim|kv_dim][hidden]
  HugePageFloats bq, bk, bv;  // [q_dim|kv_dim], empty without attention_bias
  WeightMatrix wo;            // [hidden][q_dim]
  HugePageFloats mlp_norm;    // [hidden]
  WeightMatrix w_gate, w_up;  // [intermediate][hidden]
  WeightMatrix w_down;        // [hidden][intermediate]
};

struct ModelWeights {
  WeightMatrix embed;  // [vocab][hidden]
  std::vector<LayerWeights> layers;
  HugePageFloats final_norm;  // [hidden]
  WeightMatrix lm_head;       // [vocab][hidden]; empty when tied to embed
  const WeightMatrix& head() const { return lm_head.empty() ? embed : lm_head; }
  DType dtype() const;             // of the projections (a loaded model holds every matrix in it)
  std::size_t bytes() const;       // bytes held
  std::size_t parameters() const;  // values held
  // Every tensor held, as (bytes, size): what a decode step streams (the embedding as the tied
  // head or through row lookups).
  std::vector<std::pair<const std::byte*, std::size_t>> spans() const;
};

// What the matrices are held in: nullopt = the checkpoint's own dtype (F16 → BF16: there are no
// F16 kernels, and BF16 keeps F16's 2 bytes), else kF32, kBF16 or kI8. kI8 quantizes every matrix,
// the embedding and the LM head included (int8_weights.h; docs/model.md has the measurements).
struct LoadOptions {
  std::optional<DType> dtype;
};

// The dtype `options` resolve to for a checkpoint whose matrices are `checkpoint`.
DType resolve_weight_dtype(const LoadOptions& options, DType checkpoint);

// "auto" → nullopt, "bf16"/"bfloat16" → kBF16, "f32"/"float32"/"float" → kF32 (vLLM's spellings);
// odma::Error naming `flag` otherwise.
std::optional<DType> parse_dtype_flag(const std::string& value, const std::string& flag);

// Loads every tensor the config needs from `tensors`, converting to `dtype` (kF32 or kBF16) where
// the checkpoint differs, or quantizing (kI8). Each tensor's source pages are released from the
// mapping once copied, so resident memory peaks near the weights themselves, not twice them.
ModelWeights load_weights(const ModelConfig& config, const SafetensorsSet& tensors, DType dtype);

// `--dtype` and `--quantization` (vLLM's names) together: "none" → parse_dtype_flag(dtype);
// "int8" → kI8 (with --dtype auto only). odma::Error otherwise.
std::optional<DType> parse_weight_flags(const std::string& dtype, const std::string& quantization);

// The dtype of the checkpoint's matrices (its embedding's).
DType checkpoint_dtype(const SafetensorsSet& tensors);

// Tensor names and shapes a checkpoint of `config` holds (also what `make-random` writes).
std::vector<TensorSpec> expected_tensors(const ModelConfig& config, DType dtype);

}  // namespace odma::model
