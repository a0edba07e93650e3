// Request traces: the JSONL format every odma tool reads and writes, one request per line:
//   {"id": "...", "prompt": "..." (optional), "prompt_tokens": N, "output_tokens": N,
//    "arrival_s": T (optional), "block_tokens": B, "prefix_blocks": [id, ...] (both optional)}
// Invariants of a valid trace: ids unique and non-empty; prompt_tokens ≥ 1; output_tokens ≥ 1
// (a request produces at least one token); arrival_s finite and ≥ 0; requests sorted by arrival_s
// (stable: equal arrivals keep file order). Prefix blocks (workload/prefix_blocks.h): a request
// with blocks has exactly ceil(prompt_tokens / block_tokens) of them, and block_tokens ≥ 1 then;
// a request without blocks shares nothing. block_tokens is one value per trace, so every line
// that carries blocks repeats it and they must agree.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "workload/dataset.h"

namespace odma::workload {

struct TraceRequest {
  std::string id;
  std::string prompt;  // may be empty
  std::int32_t prompt_tokens = 0;
  std::int32_t output_tokens = 0;  // the true output length
  double arrival_s = 0.0;          // seconds from trace start (0 when absent)
  // Ids of the prompt's block_tokens-token blocks, in order: equal ids = identical blocks (so
  // equal leading ids = a shared prefix); the last block may be partial. Empty: no block info.
  // "= {}" keeps brace-initialisation that leaves it out free of -Wmissing-field-initializers.
  std::vector<std::uint64_t> prefix_blocks = {};
};

struct Trace {
  std::string name;
  std::vector<TraceRequest> requests;  // sorted by arrival_s (stable)
  std::int32_t block_tokens = 0;       // tokens per prefix block; 0 when no request has blocks
};

// Parses JSONL; a malformed line throws odma::Error naming the file, line number and field.
Trace read_trace(const std::filesystem::path& path);
void write_trace(const Trace& trace, const std::filesystem::path& path);

// The same on text: `source` names the text in errors ("<source>:<line>: ..."). parse_trace also
// validates (see the invariants above) and sorts; format_trace writes one line per request, in
// order.
Trace parse_trace(const std::string& text, const std::string& source);
std::string format_trace(const Trace& trace);

// Throws odma::Error if `trace` breaks an invariant above (not the sort order), naming the request.
void validate_trace(const Trace& trace);

// Dataset records as requests: id "<dataset>-<index>", arrivals 0. A record whose length is 0
// (49 Alpaca references are empty) becomes a 1-token request: every request emits its first token.
Trace records_trace(const Dataset& dataset, const std::vector<Record>& records);

// The test split of a shipped dataset as a trace (all arrivals at 0).
Trace dataset_trace(const std::string& dataset_name);
// Any split (nullopt = all records).
Trace dataset_trace(const std::string& dataset_name, std::optional<Split> split);

}  // namespace odma::workload
