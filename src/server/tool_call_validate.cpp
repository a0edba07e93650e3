#include "server/tool_call_validate.h"

#include <algorithm>
#include <map>

#include "server/json_fields.h"

namespace odma::server {
namespace {

// The member `name` of `object`, nullptr when it is absent or null.
const nlohmann::json* member(const nlohmann::json& object, std::string_view name) {
  return JsonFields(object).find(name);
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// The error for tools[i].function, or std::nullopt.
std::optional<std::string> check_function(const nlohmann::json& function, const std::string& path) {
  if (!function.is_object()) return path + " must be an object";
  const nlohmann::json* name = member(function, "name");
  if (name == nullptr) return path + ".name is required";
  if (!name->is_string()) return path + ".name must be a string";
  const auto& text = name->get_ref<const std::string&>();
  if (text.empty() || text.size() > 64 || !std::all_of(text.begin(), text.end(), is_name_char)) {
    return path + ".name must be 1 to 64 letters, digits, underscores or dashes";
  }
  const nlohmann::json* description = member(function, "description");
  if (description != nullptr && !description->is_string()) {
    return path + ".description must be a string";
  }
  if (const nlohmann::json* parameters = member(function, "parameters")) {
    // Arguments are an object, so the schema must describe one (OpenAI says so too).
    if (!parameters->is_object()) return path + ".parameters must be an object";
    const nlohmann::json* type = member(*parameters, "type");
    if (type != nullptr && *type != "object") {
      return path + ".parameters.type must be \"object\"";
    }
  }
  const nlohmann::json* strict = member(function, "strict");
  if (strict != nullptr && !strict->is_boolean()) return path + ".strict must be a boolean";
  return std::nullopt;
}

bool has_tool(const nlohmann::json& tools, const std::string& name) {
  if (!tools.is_array()) return false;
  return std::any_of(tools.begin(), tools.end(), [&](const nlohmann::json& tool) {
    return tool.at("function").at("name") == name;
  });
}

constexpr const char* kChoiceShapes =
    "tool_choice must be \"none\", \"auto\", \"required\" or "
    "{\"type\": \"function\", \"function\": {\"name\": ...}}";

}  // namespace

std::optional<std::string> validate_tools(const nlohmann::json& tools) {
  if (!tools.is_array()) return "tools must be an array";
  std::map<std::string, std::size_t> seen;  // name → index
  for (std::size_t i = 0; i < tools.size(); ++i) {
    const std::string path = "tools[" + std::to_string(i) + "]";
    const nlohmann::json& tool = tools[i];
    if (!tool.is_object()) return path + " must be an object";
    const nlohmann::json* type = member(tool, "type");
    if (type != nullptr && *type != "function") return path + ".type must be \"function\"";
    const nlohmann::json* function = member(tool, "function");
    if (function == nullptr) return path + ".function is required";
    if (auto error = check_function(*function, path + ".function")) return error;
    const auto& name = member(*function, "name")->get_ref<const std::string&>();
    if (const auto [it, added] = seen.emplace(name, i); !added) {
      return path + ".function.name \"" + name + "\" duplicates tools[" +
             std::to_string(it->second) + "].function.name";
    }
  }
  return std::nullopt;
}

std::variant<ToolChoice, std::string> read_tool_choice(const nlohmann::json& tool_choice,
                                                       const nlohmann::json& tools) {
  using Mode = ToolChoice::Mode;
  const bool any_tools = tools.is_array() && !tools.empty();
  if (tool_choice.is_null()) return ToolChoice{any_tools ? Mode::kAuto : Mode::kNone, ""};
  if (tool_choice.is_string()) {
    const auto& text = tool_choice.get_ref<const std::string&>();
    if (text == "none") return ToolChoice{Mode::kNone, ""};
    if (text == "auto") return ToolChoice{any_tools ? Mode::kAuto : Mode::kNone, ""};
    if (text != "required") return std::string(kChoiceShapes);
    if (!any_tools) return std::string("tool_choice \"required\" needs tools");
    return ToolChoice{Mode::kRequired, ""};
  }
  if (!tool_choice.is_object()) return std::string(kChoiceShapes);
  const nlohmann::json* type = member(tool_choice, "type");
  if (type == nullptr || *type != "function") {
    return std::string("tool_choice.type must be \"function\"");
  }
  const nlohmann::json* function = member(tool_choice, "function");
  if (function == nullptr || !function->is_object()) {
    return std::string("tool_choice.function must be an object");
  }
  const nlohmann::json* name = member(*function, "name");
  if (name == nullptr || !name->is_string()) {
    return std::string("tool_choice.function.name must be a string");
  }
  const auto& text = name->get_ref<const std::string&>();
  if (!has_tool(tools, text))
    return "tool_choice.function.name \"" + text + "\" is not among tools";
  return ToolChoice{Mode::kFunction, text};
}

}  // namespace odma::server
