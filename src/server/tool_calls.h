// Tool calls in model output: which syntax a model writes them in, and turning its text into
// OpenAI's message.tool_calls (whole output) or delta.tool_calls chunks (streaming).
//
// Formats, named as vLLM's --tool-call-parser names them (vllm/entrypoints/openai/tool_parsers/):
//   hermes       Qwen2.5 / Qwen3 / Hermes: blocks
//                <tool_call>\n{"name": N, "arguments": {...}}\n</tool_call>
//                any number of them, anywhere in the text.
//   llama3_json  Llama 3.1 / 3.2: the output (after an optional <|python_tag|>) starts with
//                {"name": N, "parameters": {...}} ("arguments" is accepted too); more calls follow
//                after ";". Output that does not start with a call is plain content.
//   deepseek_v3  DeepSeek V3 / R1: <｜tool▁calls▁begin｜> then calls
//                <｜tool▁call▁begin｜>function<｜tool▁sep｜>N\n```json\n{...}\n```<｜tool▁call▁end｜>
//                (separated by "\n"), then <｜tool▁calls▁end｜> (which V3's template omits
//                after a single call).
//
// Arguments are JSON object text: an object is dumped compactly, keys in the model's order and
// UTF-8 kept (vLLM's json.dumps(ensure_ascii=False), less its spaces); a string holding a JSON
// object is kept verbatim.
//
// An output without a valid call is all content, unchanged.
//
// Differences from vLLM, all so that streaming gives exactly what whole-output parsing gives:
//   - a call whose JSON is malformed (or lacks "name" or its arguments) stays in the content as the
//     text it was, and the other calls still count; vLLM drops every call and returns the whole
//     output as content.
//   - text outside the calls is all content (vLLM keeps only the text before the first call);
//     the whitespace between that text and a call (e.g. the "\n" before <tool_call>) is dropped.
//   - llama3_json: calls end where the ";"-separated list of calls ends; what follows is content
//     (vLLM returns everything as content then).
//   - deepseek_v3: the arguments must be a JSON object and are dumped again like the others (vLLM
//     passes the text on unchecked).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace odma::server {

enum class ToolCallFormat { kHermes, kLlama3Json, kDeepSeekV3 };

// vLLM's --tool-call-parser names: "hermes", "llama3_json", "deepseek_v3" (and vLLM's older
// spelling "deepseekv3"). std::nullopt for any other name; tool_call_parser_flag_error says why.
[[nodiscard]] std::optional<ToolCallFormat> parse_tool_call_parser_flag(std::string_view name);
[[nodiscard]] std::string tool_call_parser_flag_error(std::string_view name);
[[nodiscard]] std::string_view tool_call_parser_name(ToolCallFormat format);

// The format a chat template teaches (its Jinja source), or std::nullopt when it teaches none:
// DeepSeek's <｜tool▁calls▁begin｜>, Qwen's <tool_call>, Llama 3.1/3.2's <|python_tag|> or
// {"name": ..., "parameters": ...} under <|start_header_id|> headers.
[[nodiscard]] std::optional<ToolCallFormat> detect_tool_call_format(
    std::string_view chat_template_source);

struct ToolCall {
  std::string name;
  std::string arguments;  // JSON object text
  bool operator==(const ToolCall&) const = default;
};

struct ParsedToolCalls {
  std::string content;  // the text outside the calls ("" when there is none)
  std::vector<ToolCall> calls;
};

[[nodiscard]] ParsedToolCalls parse_tool_calls(ToolCallFormat format, std::string_view output);

// --- Streaming -----------------------------------------------------------------------------------

// Content that is certainly not part of a call.
struct ContentDelta {
  std::string text;
};

// One entry of OpenAI's delta.tool_calls[]. A call's first chunk carries its id and name (type
// "function") and arguments ""; the next carries the arguments.
struct ToolCallChunk {
  int index = 0;  // the call's position among this output's calls: 0, 1, ...
  std::optional<std::string> id;
  std::optional<std::string> name;
  std::string arguments;
};

using ToolCallStreamEvent = std::variant<ContentDelta, ToolCallChunk>;

class ToolCallScanner;  // one format's syntax (tool_call_scan.h)
struct ScanPiece;

// Fed the output's text deltas in order. Content is passed on as soon as it cannot be the start of
// a call (a suffix that could begin a marker, or whitespace that may precede one, is held back);
// a call is sent once it is complete and valid, its arguments in one piece. The events of every
// feed() and finish() together give exactly parse_tool_calls(format, concatenated deltas).
class ToolCallStreamParser {
 public:
  explicit ToolCallStreamParser(ToolCallFormat format);
  ~ToolCallStreamParser();
  ToolCallStreamParser(ToolCallStreamParser&&) noexcept;
  ToolCallStreamParser& operator=(ToolCallStreamParser&&) noexcept;

  [[nodiscard]] std::vector<ToolCallStreamEvent> feed(std::string_view delta);
  // The output ended: what was held back.
  [[nodiscard]] std::vector<ToolCallStreamEvent> finish();

  // Calls sent so far (the response's finish_reason is "tool_calls" when > 0).
  [[nodiscard]] int calls_sent() const { return calls_sent_; }

 private:
  void emit(ScanPiece& piece, std::vector<ToolCallStreamEvent>& out);

  std::unique_ptr<ToolCallScanner> scanner_;
  int calls_sent_ = 0;
  std::string held_space_;   // trailing whitespace of the content: dropped if a call follows
  bool after_call_ = false;  // drop the whitespace that starts the next content
};

}  // namespace odma::server
