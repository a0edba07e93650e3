// A chat request's `tools` and `tool_choice`, checked against OpenAI's shapes. Errors are one line
// that names the offending path ("tools[1].function.name is required"); the server makes them
// 400s.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

namespace odma::server {

// `tools` (present and not null): an array of {"type": "function" (the default, as vLLM),
// "function": {"name": N, "description"?: string, "parameters"?: a JSON Schema object whose
// "type", if any, is "object", "strict"?: boolean}},
// N of OpenAI's pattern ^[a-zA-Z0-9_-]{1,64}$ and distinct. std::nullopt when it is.
[[nodiscard]] std::optional<std::string> validate_tools(const nlohmann::json& tools);

struct ToolChoice {
  enum class Mode { kNone, kAuto, kRequired, kFunction };
  Mode mode = Mode::kNone;
  std::string function;  // kFunction: the tool to call
  bool operator==(const ToolChoice&) const = default;
};

// `tool_choice` (null when absent): "none" | "auto" | "required" |
// {"type": "function", "function": {"name": N}} with N among `tools` (validated; null when absent).
// Absent means "auto" with tools and "none" without (OpenAI); "auto" without tools is "none";
// "required" or a function without tools is an error.
[[nodiscard]] std::variant<ToolChoice, std::string> read_tool_choice(
    const nlohmann::json& tool_choice, const nlohmann::json& tools);

}  // namespace odma::server
