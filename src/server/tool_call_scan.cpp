#include "server/tool_call_scan.h"

#include <algorithm>

namespace odma::server {

bool is_json_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::size_t skip_json_space(std::string_view text, std::size_t pos) {
  while (pos < text.size() && is_json_space(text[pos])) ++pos;
  return pos;
}

std::size_t marker_prefix_at_end(std::string_view text, std::string_view marker) {
  for (std::size_t n = std::min(text.size(), marker.size() - 1); n > 0; --n) {
    if (text.substr(text.size() - n) == marker.substr(0, n)) return n;
  }
  return 0;
}

bool is_partial_marker(std::string_view text, std::string_view marker) {
  return text.size() < marker.size() && marker.substr(0, text.size()) == text;
}

std::size_t find_marker(std::string_view text, std::string_view marker, std::size_t& from) {
  const std::size_t pos = text.find(marker, from);
  // A later search resumes where a marker could still start: within its last |marker|-1 bytes.
  if (pos == std::string_view::npos && text.size() >= marker.size()) {
    from = text.size() - marker.size() + 1;
  }
  return pos;
}

std::optional<std::string> arguments_text(const nlohmann::ordered_json& value) {
  if (value.is_object()) return value.dump();
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false).is_object()) return text;
  }
  return std::nullopt;
}

std::optional<ToolCall> call_from_json_text(std::string_view json_text,
                                            std::initializer_list<std::string_view> argument_keys) {
  const auto object = nlohmann::ordered_json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (!object.is_object()) return std::nullopt;
  const auto name = object.find("name");
  if (name == object.end() || !name->is_string() || name->get_ref<const std::string&>().empty()) {
    return std::nullopt;
  }
  for (const std::string_view key : argument_keys) {
    const auto arguments = object.find(key);
    if (arguments == object.end()) continue;
    auto text = arguments_text(*arguments);
    if (!text) return std::nullopt;
    return ToolCall{name->get<std::string>(), std::move(*text)};
  }
  return std::nullopt;
}

}  // namespace odma::server
