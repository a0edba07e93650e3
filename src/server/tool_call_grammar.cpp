#include "server/tool_call_grammar.h"

#include <vector>

namespace odma::server {
namespace {

// The tool's parameters as the schema of its arguments, which are always an object.
nlohmann::ordered_json arguments_schema(const nlohmann::ordered_json& function) {
  const auto parameters = function.find("parameters");
  if (parameters == function.end() || parameters->is_null()) return {{"type", "object"}};
  nlohmann::ordered_json schema = *parameters;
  if (!schema.contains("type")) schema["type"] = "object";
  return schema;
}

// One call of the tool `function`, as the format writes it.
grammar::GrammarPtr call(ToolCallFormat format, const nlohmann::ordered_json& function,
                         std::size_t i) {
  const auto& name = function.at("name").get_ref<const std::string&>();
  grammar::GrammarPtr arguments;
  try {
    arguments = grammar::json_schema_ordered(arguments_schema(function));
  } catch (const grammar::GrammarError& e) {
    throw grammar::GrammarError("tools[" + std::to_string(i) + "].function.parameters: " + e.what(),
                                e.path());
  }
  const std::string quoted = nlohmann::ordered_json(name).dump();
  switch (format) {
    case ToolCallFormat::kHermes:
      return grammar::sequence(
          {grammar::literal("<tool_call>\n{\"name\": " + quoted + ", \"arguments\": "), arguments,
           grammar::literal("}\n</tool_call>")});
    case ToolCallFormat::kLlama3Json:
      return grammar::sequence({grammar::literal("{\"name\": " + quoted + ", \"parameters\": "),
                                arguments, grammar::literal("}")});
    case ToolCallFormat::kDeepSeekV3:
      return grammar::sequence(
          {grammar::literal("<｜tool▁call▁begin｜>function<｜tool▁sep｜>" + name + "\n```json\n"),
           arguments, grammar::literal("\n```<｜tool▁call▁end｜>")});
  }
  throw odma::Error("unknown tool call format");
}

}  // namespace

grammar::GrammarPtr tool_call_grammar(ToolCallFormat format, const nlohmann::ordered_json& tools,
                                      const std::optional<std::string>& only_function,
                                      bool parallel_tool_calls) {
  std::vector<grammar::GrammarPtr> calls;
  for (std::size_t i = 0; i < tools.size(); ++i) {
    const nlohmann::ordered_json& function = tools[i].at("function");
    if (only_function && function.at("name") != *only_function) continue;
    calls.push_back(call(format, function, i));
  }
  if (calls.empty()) {
    throw odma::Error(only_function
                          ? "tool_choice names \"" + *only_function + "\", which is not among tools"
                          : "tool_choice \"required\" needs tools");
  }
  grammar::GrammarPtr any_call = calls.size() == 1 ? calls[0] : grammar::alternatives(calls);
  const int max = parallel_tool_calls ? -1 : 1;
  switch (format) {
    case ToolCallFormat::kHermes:
      return grammar::repeat(any_call, 1, max, "\n");
    case ToolCallFormat::kLlama3Json:
      return grammar::repeat(any_call, 1, max, "; ");
    case ToolCallFormat::kDeepSeekV3:
      return grammar::sequence({grammar::literal("<｜tool▁calls▁begin｜>"),
                                grammar::repeat(any_call, 1, max, "\n"),
                                grammar::literal("<｜tool▁calls▁end｜>")});
  }
  throw odma::Error("unknown tool call format");
}

}  // namespace odma::server
