#include "server/tool_calls.h"

#include <array>
#include <utility>

#include "server/tool_call_id.h"
#include "server/tool_call_scan.h"

namespace odma::server {
namespace {

struct FlagName {
  std::string_view name;
  ToolCallFormat format;
};

constexpr std::array<FlagName, 4> kFlagNames{{
    {"hermes", ToolCallFormat::kHermes},
    {"llama3_json", ToolCallFormat::kLlama3Json},
    {"deepseek_v3", ToolCallFormat::kDeepSeekV3},
    {"deepseekv3", ToolCallFormat::kDeepSeekV3},  // vLLM's name before it became deepseek_v3
}};

std::unique_ptr<ToolCallScanner> make_scanner(ToolCallFormat format) {
  switch (format) {
    case ToolCallFormat::kHermes:
      return make_hermes_scanner();
    case ToolCallFormat::kLlama3Json:
      return make_llama3_json_scanner();
    case ToolCallFormat::kDeepSeekV3:
      return make_deepseek_v3_scanner();
  }
  return make_hermes_scanner();
}

}  // namespace

std::optional<ToolCallFormat> parse_tool_call_parser_flag(std::string_view name) {
  for (const FlagName& flag : kFlagNames) {
    if (flag.name == name) return flag.format;
  }
  return std::nullopt;
}

std::string tool_call_parser_flag_error(std::string_view name) {
  return "unknown --tool-call-parser \"" + std::string(name) +
         "\": expected hermes, llama3_json or deepseek_v3";
}

std::string_view tool_call_parser_name(ToolCallFormat format) {
  for (const FlagName& flag : kFlagNames) {
    if (flag.format == format) return flag.name;
  }
  return "";
}

std::optional<ToolCallFormat> detect_tool_call_format(std::string_view chat_template_source) {
  const auto has = [&](std::string_view s) {
    return chat_template_source.find(s) != std::string_view::npos;
  };
  if (has("<｜tool▁calls▁begin｜>")) return ToolCallFormat::kDeepSeekV3;
  if (has("<tool_call>")) return ToolCallFormat::kHermes;
  if (has("<|python_tag|>") || (has("<|start_header_id|>") && has("\"parameters\""))) {
    return ToolCallFormat::kLlama3Json;
  }
  return std::nullopt;
}

ParsedToolCalls parse_tool_calls(ToolCallFormat format, std::string_view output) {
  ToolCallStreamParser parser(format);
  auto events = parser.feed(output);
  for (auto& event : parser.finish()) events.push_back(std::move(event));
  ParsedToolCalls parsed;
  for (auto& event : events) {
    if (auto* content = std::get_if<ContentDelta>(&event)) {
      parsed.content += content->text;
    } else {
      auto& chunk = std::get<ToolCallChunk>(event);
      if (chunk.name) {
        parsed.calls.push_back({std::move(*chunk.name), ""});
      } else {
        parsed.calls.back().arguments += chunk.arguments;
      }
    }
  }
  return parsed;
}

ToolCallStreamParser::ToolCallStreamParser(ToolCallFormat format)
    : scanner_(make_scanner(format)) {}
ToolCallStreamParser::~ToolCallStreamParser() = default;
ToolCallStreamParser::ToolCallStreamParser(ToolCallStreamParser&&) noexcept = default;
ToolCallStreamParser& ToolCallStreamParser::operator=(ToolCallStreamParser&&) noexcept = default;

std::vector<ToolCallStreamEvent> ToolCallStreamParser::feed(std::string_view delta) {
  std::vector<ScanPiece> pieces;
  scanner_->feed(delta, pieces);
  std::vector<ToolCallStreamEvent> out;
  for (ScanPiece& piece : pieces) emit(piece, out);
  return out;
}

std::vector<ToolCallStreamEvent> ToolCallStreamParser::finish() {
  std::vector<ScanPiece> pieces;
  scanner_->finish(pieces);
  std::vector<ToolCallStreamEvent> out;
  for (ScanPiece& piece : pieces) emit(piece, out);
  if (!held_space_.empty()) out.push_back(ContentDelta{std::exchange(held_space_, {})});
  return out;
}

void ToolCallStreamParser::emit(ScanPiece& piece, std::vector<ToolCallStreamEvent>& out) {
  if (piece.call) {
    held_space_.clear();
    after_call_ = true;
    const int index = calls_sent_++;
    out.push_back(ToolCallChunk{index, next_tool_call_id(), std::move(piece.call->name), ""});
    out.push_back(
        ToolCallChunk{index, std::nullopt, std::nullopt, std::move(piece.call->arguments)});
    return;
  }
  // Content: whitespace next to a call is dropped, so trailing whitespace waits to see what
  // follows it.
  std::string_view text = piece.text;
  if (after_call_) {
    text.remove_prefix(skip_json_space(text, 0));
    if (text.empty()) return;
    after_call_ = false;
  }
  std::size_t end = text.size();
  while (end > 0 && is_json_space(text[end - 1])) --end;
  if (end == 0) {
    held_space_ += text;
    return;
  }
  out.push_back(ContentDelta{std::exchange(held_space_, {}) + std::string(text.substr(0, end))});
  held_space_ = text.substr(end);
}

}  // namespace odma::server
