// Random-weight models of real shapes, for tests and CPU benchmarks (`odma model make-random`).
//
// Presets are the shipped model shapes, data/model_shapes/<name>.json (config.json format; the
// simulator reads the very same files, sim/model_shape.h): tiny and small (odma's test and CPU
// benchmark shapes, vocab 1024), qwen2-0.5b-shape (Qwen2-0.5B: 0.99 GB BF16, leaves the caches)
// and r1-7b-shape (DeepSeek-R1-Distill-Qwen-7B: 7.6 G params = 15.2 GB BF16, so its weights are
// written only on request).
//
// Weights: each element is a deterministic hash of (seed, tensor, index) — uniform with std
// 1/√fan_in for projections and embeddings (fan_in = hidden), 0.1 for biases, 1 ± 0.1·√3 for
// norms — rounded to BF16.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "model/config.h"
#include "model/weights.h"

namespace odma::model {

// Throws odma::Error listing the presets for an unknown name.
ModelConfig preset_config(const std::string& preset);
std::vector<std::string> preset_names();  // sorted

// In-memory weights: the values the written BF16 file holds, as if loaded from it with `dtype`.
ModelWeights random_weights(const ModelConfig& config, std::uint64_t seed,
                            DType dtype = DType::kF32);

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
