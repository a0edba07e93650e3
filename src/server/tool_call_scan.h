// The per-format half of tool-call parsing (tool_calls.h): a scanner reads one format's syntax
// from the output's text deltas and yields, in output order, text outside calls and complete calls.
// ToolCallStreamParser turns those into events; whole-output parsing is one feed and a finish.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/tool_calls.h"

namespace odma::server {

// Text that is not part of a call, or (call set) a complete call.
struct ScanPiece {
  std::string text;
  std::optional<ToolCall> call;
};

class ToolCallScanner {
 public:
  virtual ~ToolCallScanner() = default;
  // Appends the pieces `delta` completes; holds back text that may still become part of a call.
  virtual void feed(std::string_view delta, std::vector<ScanPiece>& out) = 0;
  // The output ended: appends what was held back.
  virtual void finish(std::vector<ScanPiece>& out) = 0;
};

[[nodiscard]] std::unique_ptr<ToolCallScanner> make_hermes_scanner();
[[nodiscard]] std::unique_ptr<ToolCallScanner> make_llama3_json_scanner();
[[nodiscard]] std::unique_ptr<ToolCallScanner> make_deepseek_v3_scanner();

// --- Helpers the scanners share ------------------------------------------------------------------

// JSON's insignificant whitespace (what the content trimming drops).
[[nodiscard]] bool is_json_space(char c);
[[nodiscard]] std::size_t skip_json_space(std::string_view text, std::size_t pos);

// The length of the longest suffix of `text` that is a proper prefix of `marker`: what to hold
// back because the next delta may complete the marker.
[[nodiscard]] std::size_t marker_prefix_at_end(std::string_view text, std::string_view marker);

// `text` is a proper prefix of `marker` (so more text may still make it the marker).
[[nodiscard]] bool is_partial_marker(std::string_view text, std::string_view marker);

// Finds `marker` in a buffer that grows between calls without searching the same bytes twice:
// `from` is where the previous search may resume (0 for a new buffer).
[[nodiscard]] std::size_t find_marker(std::string_view text, std::string_view marker,
                                      std::size_t& from);

// Arguments as tool_calls.h says: an object → its compact dump, keys in the model's order; a string
// holding a JSON object → the string; anything else → std::nullopt.
[[nodiscard]] std::optional<std::string> arguments_text(const nlohmann::ordered_json& value);

// A call written as a JSON object {"name": non-empty string, KEY: arguments} for the first KEY of
// `argument_keys` present; std::nullopt when `json_text` is not such an object.
[[nodiscard]] std::optional<ToolCall> call_from_json_text(
    std::string_view json_text, std::initializer_list<std::string_view> argument_keys);

}  // namespace odma::server
