// A model directory for server tests that need the real vocabulary: the tiny shape (hidden 64,
// 2 layers) with Qwen2's padded 151,936-row embedding and its full tokenizer, random weights.
// Masks and tool-call markers then meet every one of Qwen2's tokens, as they do in production.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include "model/random_model.h"

namespace odma::server::testing {

// Writes the model into a fresh temporary folder named after `tag` and returns it; the caller
// removes it.
inline std::filesystem::path write_real_vocab_model(const std::string& tag, std::uint64_t seed) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("odma_" + tag + "_" + std::to_string(::getpid()));
  model::ModelConfig c = model::preset_config("tiny");
  c.vocab_size = 151936;
  (void)model::write_random_model(dir, c, seed, /*write_weights=*/true);
  return dir;
}

}  // namespace odma::server::testing
