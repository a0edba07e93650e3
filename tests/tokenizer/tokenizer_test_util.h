// Shared fixtures for the tokenizer tests: the shipped tokenizers, loaded once per test binary.
#pragma once

#include <string>
#include <vector>

#include "base/file_io.h"
#include "tokenizer/tokenizer.h"

namespace odma::testing {

// Qwen2/3 byte-level BPE (data/tokenizer).
inline const tokenizer::Tokenizer& qwen_tokenizer() {
  static const tokenizer::Tokenizer t = tokenizer::Tokenizer::load(odma::data_dir() / "tokenizer");
  return t;
}

// stories260K sentencepiece-style BPE (data/models/stories260K-hf).
inline const tokenizer::Tokenizer& stories_tokenizer() {
  static const tokenizer::Tokenizer t =
      tokenizer::Tokenizer::load(odma::data_dir() / "models" / "stories260K-hf");
  return t;
}

// Lines of a (possibly gzipped) shipped text file, without the trailing empty line.
inline std::vector<std::string> data_lines(const std::string& relative) {
  std::string text = odma::read_file(odma::data_file(relative));
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

}  // namespace odma::testing
