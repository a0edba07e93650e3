// A model directory for server tests that need the real vocabulary: the tiny shape (hidden 64,
// 2 layers) with Qwen2's padded 151,936-row embedding and its full tokenizer, random weights.
// Masks and tool-call markers then meet every one of Qwen2's tokens, as they do in production.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "model/random_model.h"
#include "server/http_test_util.h"

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

// One `odma serve` per test suite on such a model, with Qwen2.5's chat template (which teaches
// Hermes tool calls). Suites derive from it: `class MySuite : public RealVocabServer {};`.
class RealVocabServer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(write_real_vocab_model("serve", 5));
    server_ = new ServerProcess({"--model", dir_->string(), "--kv-memory", "64MiB",
                                 "--chat-template", chat_template_path("qwen2_5")});
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    std::filesystem::remove_all(*dir_);
    delete dir_;
    dir_ = nullptr;
  }
  inline static ServerProcess* server_ = nullptr;
  inline static std::filesystem::path* dir_ = nullptr;
};

}  // namespace odma::server::testing
