// Random-weight models of real shapes, for tests and CPU benchmarks (`odma model make-random`).
//
// Presets (all Qwen2ForCausalLM: q/k/v bias, SiLU MLP, RMSNorm eps 1e-6):
//   tiny         hidden 64, 2 layers, 4/2 heads, head_dim 16, MLP 176, vocab 1024, tied head
//   small        hidden 512, 8 layers, 8/2 heads, head_dim 64, MLP 1408, vocab 1024, tied head.
//                ~23.1 M params (92 MB F32); vocab 1024 (qwen2-tiny's truncated Qwen2 tokenizer)
//                keeps the LM head from dominating a CPU decode benchmark.
//   r1-7b-shape  DeepSeek-R1-Distill-Qwen-7B (hidden 3584, 28 layers, 28/4 heads, head_dim 128,
//                MLP 18944, vocab 152064, rope_theta 10000, untied head); 7.6 G params = 15.2 GB
//                BF16, so its weights are written only on request.
//
// Weights: each element is a deterministic hash of (seed, tensor, index) — uniform with std
// 1/√fan_in for projections and embeddings (fan_in = hidden), 0.1 for biases, 1 ± 0.1·√3 for
// norms — rounded to BF16.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "model/config.h"
#include "model/weights.h"

namespace odma::model {

// Throws odma::Error listing the presets for an unknown name.
ModelConfig preset_config(const std::string& preset);

// In-memory weights (already BF16-rounded, as if loaded from the written file).
ModelWeights random_weights(const ModelConfig& config, std::uint64_t seed);

struct MakeRandomResult {
  std::uint64_t weight_bytes = 0;  // bytes of model.safetensors (0 when not written)
  bool tokenizer_written = false;
};

// Writes config.json, (if `write_weights`) model.safetensors in BF16, and the tokenizer files
// that match the vocabulary (qwen2-tiny's for vocab 1024, the full Qwen2 one otherwise), taken from
// odma's shipped data.
MakeRandomResult write_random_model(const std::filesystem::path& dir, const ModelConfig& config,
                                    std::uint64_t seed, bool write_weights);

}  // namespace odma::model
