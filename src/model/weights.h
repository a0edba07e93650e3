// Model weights converted once to F32 at load, laid out as the HF checkpoint stores them:
// every projection is row-major [out_features][in_features], so y = x · Wᵀ (cblas_sgemm, Trans).
//
// Storage: HugePageFloats (2 MiB transparent huge pages for large tensors: a decode step streams
// every weight once, and 4 KiB pages cost a TLB miss per page; measured batch-1 decode on the
// `small` preset 5.4 → see docs/model.md).
//
// Memory: 4 bytes per parameter, i.e. twice the BF16 checkpoint (DeepSeek-R1-Distill-Qwen-7B:
// 7.6 G params → ~30.5 GB F32 vs 15.2 GB BF16). We trade memory for simple, exact F32 math; the
// test/benchmark models (stories260K, qwen2-tiny, `make-random` tiny/small) are far below 1 GB.
//
// Every tensor's shape is checked against the config (odma::Error naming the tensor otherwise).
#pragma once

#include <filesystem>
#include <utility>
#include <vector>

#include "model/config.h"
#include "model/cpu/mapped_buffer.h"
#include "model/safetensors.h"

namespace odma::model {

using cpu::HugePageFloats;  // weights live in huge pages (cpu/mapped_buffer.h)

struct LayerWeights {
  HugePageFloats attn_norm;     // [hidden]
  HugePageFloats wq, wk, wv;    // [q_dim|kv_dim][hidden]
  HugePageFloats bq, bk, bv;    // [q_dim|kv_dim], empty without attention_bias
  HugePageFloats wo;            // [hidden][q_dim]
  HugePageFloats mlp_norm;      // [hidden]
  HugePageFloats w_gate, w_up;  // [intermediate][hidden]
  HugePageFloats w_down;        // [hidden][intermediate]
};

struct ModelWeights {
  HugePageFloats embed;  // [vocab][hidden]
  std::vector<LayerWeights> layers;
  HugePageFloats final_norm;  // [hidden]
  HugePageFloats lm_head;     // [vocab][hidden]; empty when tied to embed
  const float* head() const { return lm_head.empty() ? embed.data() : lm_head.data(); }
  std::size_t bytes() const;  // F32 bytes held
  // Every tensor held, as (data, floats); what a decode step streams (the embedding as the tied
  // head or through row lookups).
  std::vector<std::pair<const float*, std::size_t>> spans() const;
};

// Loads and converts every tensor the config needs from `tensors`.
ModelWeights load_weights(const ModelConfig& config, const SafetensorsSet& tensors);

// Tensor names and shapes a checkpoint of `config` holds (also what `make-random` writes).
std::vector<TensorSpec> expected_tensors(const ModelConfig& config, DType dtype);

}  // namespace odma::model
