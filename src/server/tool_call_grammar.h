// Constrained decoding for tool_choice "required" or a named function: a grammar whose strings
// are exactly the calls parse_tool_calls (tool_calls.h) reads back in `format`, each written the
// way the model's chat template shows calls:
//   hermes       <tool_call>\n{"name": "N", "arguments": ARGS}\n</tool_call>, "\n" between calls
//   llama3_json  {"name": "N", "parameters": ARGS}, "; " between calls
//   deepseek_v3  <｜tool▁calls▁begin｜> + calls
//                <｜tool▁call▁begin｜>function<｜tool▁sep｜>N\n```json\nARGS\n```<｜tool▁call▁end｜>
//                with "\n" between them + <｜tool▁calls▁end｜>
// ARGS follows the tool's "parameters" schema ({"type": "object"} when it has none). The name and
// key order are fixed literals rather than a {"name": {"const": N}, ...} schema, so "name" comes
// first as the templates teach, whatever order a schema's properties come in.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "grammar/grammar.h"
#include "server/tool_calls.h"

namespace odma::server {

// `tools`: the request's tools, validated (tool_call_validate.h). `only_function`: the named
// tool_choice, or std::nullopt for "required" (any of the tools). One call, or one or more with
// `parallel_tool_calls`. Throws grammar::GrammarError when the compiler refuses a tool's
// parameters (the message names tools[i].function.parameters), odma::Error when `only_function`
// is not among the tools.
[[nodiscard]] grammar::GrammarPtr tool_call_grammar(ToolCallFormat format,
                                                    const nlohmann::ordered_json& tools,
                                                    const std::optional<std::string>& only_function,
                                                    bool parallel_tool_calls);

}  // namespace odma::server
