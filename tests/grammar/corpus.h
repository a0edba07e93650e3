// The schema corpus in tests/grammar/schemas (see SOURCES.md there).
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "base/file_io.h"

namespace odma::testing {

inline std::filesystem::path corpus_dir() {
  return odma::data_dir().parent_path() / "tests" / "grammar" / "schemas";
}

// (file stem, file text), sorted by name, of the *.json files directly in `dir`.
inline std::vector<std::pair<std::string, std::string>> corpus_files(
    const std::filesystem::path& dir) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".json") {
      out.emplace_back(entry.path().stem().string(), odma::read_file(entry.path()));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace odma::testing
