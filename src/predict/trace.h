// Request traces: the JSONL format every odma tool reads and writes, one request per line:
//   {"id": "...", "prompt": "..." (optional), "prompt_tokens": N, "output_tokens": N,
//    "arrival_s": T (optional)}
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace odma::predict {

struct TraceRequest {
  std::string id;
  std::string prompt;              // may be empty
  std::int32_t prompt_tokens = 0;
  std::int32_t output_tokens = 0;  // the true output length
  double arrival_s = 0.0;          // seconds from trace start (0 when absent)
};

struct Trace {
  std::string name;
  std::vector<TraceRequest> requests;  // sorted by arrival_s (stable)
};

// Parses JSONL; a malformed line throws odma::Error naming the file, line number and field.
Trace read_trace(const std::filesystem::path& path);
void write_trace(const Trace& trace, const std::filesystem::path& path);

// The test split of a shipped dataset as a trace (all arrivals at 0).
Trace dataset_trace(const std::string& dataset_name);

}  // namespace odma::predict
