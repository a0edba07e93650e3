// Reading files (plain or gzip) and locating the data odma ships in data/.
#pragma once

#include <filesystem>
#include <string>

namespace odma {

// Whole file as bytes; a name ending in ".gz" is decompressed. Throws odma::Error naming the path.
std::string read_file(const std::filesystem::path& path);

// Writes bytes atomically enough for our use (temp file + rename). Throws odma::Error.
void write_file(const std::filesystem::path& path, const std::string& bytes);

// The directory holding shipped data: $ODMA_DATA_DIR if set, else the source tree's data/.
std::filesystem::path data_dir();

// data_dir() / relative, checked to exist (tries relative + ".gz" too). Throws odma::Error.
std::filesystem::path data_file(const std::string& relative);

}  // namespace odma
