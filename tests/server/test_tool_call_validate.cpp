// Request checks for tools / tool_choice (server/tool_call_validate.h) and tool call ids
// (server/tool_call_id.h).
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/tool_call_id.h"
#include "server/tool_call_validate.h"

namespace odma::server {
namespace {

using nlohmann::json;

json tool(const std::string& name) {
  return {{"type", "function"},
          {"function",
           {{"name", name},
            {"description", "d"},
            {"parameters", {{"type", "object"}, {"properties", json::object()}}}}}};
}

TEST(ToolCallValidateTools, AcceptsOpenAiShapes) {
  EXPECT_EQ(validate_tools(json::array()), std::nullopt);
  EXPECT_EQ(validate_tools(json::array({tool("get_weather"), tool("get-time_2")})), std::nullopt);
  // "type" defaults to "function" (vLLM); parameters, description, strict may be absent or null.
  EXPECT_EQ(validate_tools(json::parse(R"([{"function": {"name": "f"}},
      {"type": "function", "function": {"name": "g", "parameters": null, "description": null,
                                        "strict": true}}])")),
            std::nullopt);
}

TEST(ToolCallValidateTools, ErrorsNameThePath) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"type": "function"})", "tools must be an array"},
      {R"(["f"])", "tools[0] must be an object"},
      {R"([{"type": "code_interpreter", "function": {"name": "f"}}])",
       "tools[0].type must be \"function\""},
      {R"([{"type": "function"}])", "tools[0].function is required"},
      {R"([{"type": "function", "function": "f"}])", "tools[0].function must be an object"},
      {R"([{"function": {"name": "f"}}, {"function": {"description": "x"}}])",
       "tools[1].function.name is required"},
      {R"([{"function": {"name": 3}}])", "tools[0].function.name must be a string"},
      {R"([{"function": {"name": ""}}])",
       "tools[0].function.name must be 1 to 64 letters, digits, underscores or dashes"},
      {R"([{"function": {"name": "a.b"}}])",
       "tools[0].function.name must be 1 to 64 letters, digits, underscores or dashes"},
      {R"([{"function": {"name": ")" + std::string(65, 'x') + R"("}}])",
       "tools[0].function.name must be 1 to 64 letters, digits, underscores or dashes"},
      {R"([{"function": {"name": "f", "parameters": []}}])",
       "tools[0].function.parameters must be an object"},
      {R"([{"function": {"name": "f", "parameters": {"type": "string"}}}])",
       "tools[0].function.parameters.type must be \"object\""},
      {R"([{"function": {"name": "f", "description": 1}}])",
       "tools[0].function.description must be a string"},
      {R"([{"function": {"name": "f", "strict": "yes"}}])",
       "tools[0].function.strict must be a boolean"},
      {R"([{"function": {"name": "f"}}, {"function": {"name": "g"}}, {"function": {"name": "f"}}])",
       "tools[2].function.name \"f\" duplicates tools[0].function.name"},
  };
  for (const auto& [tools, error] : cases) {
    EXPECT_EQ(validate_tools(json::parse(tools)), error) << tools;
  }
}

TEST(ToolCallChoice, Shapes) {
  using Mode = ToolChoice::Mode;
  const json tools = json::array({tool("a"), tool("b")});
  const auto read = [&](const json& choice, const json& with) {
    return read_tool_choice(choice, with);
  };
  EXPECT_EQ(std::get<ToolChoice>(read(nullptr, tools)), (ToolChoice{Mode::kAuto, ""}));
  EXPECT_EQ(std::get<ToolChoice>(read(nullptr, nullptr)), (ToolChoice{Mode::kNone, ""}));
  EXPECT_EQ(std::get<ToolChoice>(read("none", tools)), (ToolChoice{Mode::kNone, ""}));
  EXPECT_EQ(std::get<ToolChoice>(read("auto", tools)), (ToolChoice{Mode::kAuto, ""}));
  EXPECT_EQ(std::get<ToolChoice>(read("auto", json::array())), (ToolChoice{Mode::kNone, ""}));
  EXPECT_EQ(std::get<ToolChoice>(read("required", tools)), (ToolChoice{Mode::kRequired, ""}));
  EXPECT_EQ(std::get<ToolChoice>(
                read(json::parse(R"({"type": "function", "function": {"name": "b"}})"), tools)),
            (ToolChoice{Mode::kFunction, "b"}));
}

TEST(ToolCallChoice, Errors) {
  const json tools = json::array({tool("a")});
  const std::string shapes =
      "tool_choice must be \"none\", \"auto\", \"required\" or "
      "{\"type\": \"function\", \"function\": {\"name\": ...}}";
  const std::vector<std::tuple<json, json, std::string>> cases = {
      {"any", tools, shapes},
      {3, tools, shapes},
      {"required", nullptr, "tool_choice \"required\" needs tools"},
      {"required", json::array(), "tool_choice \"required\" needs tools"},
      {json::parse(R"({"function": {"name": "a"}})"), tools,
       "tool_choice.type must be \"function\""},
      {json::parse(R"({"type": "function"})"), tools, "tool_choice.function must be an object"},
      {json::parse(R"({"type": "function", "function": {}})"), tools,
       "tool_choice.function.name must be a string"},
      {json::parse(R"({"type": "function", "function": {"name": "zz"}})"), tools,
       "tool_choice.function.name \"zz\" is not among tools"},
      {json::parse(R"({"type": "function", "function": {"name": "a"}})"), nullptr,
       "tool_choice.function.name \"a\" is not among tools"},
  };
  for (const auto& [choice, with, error] : cases) {
    const auto result = read_tool_choice(choice, with);
    ASSERT_TRUE(std::holds_alternative<std::string>(result)) << choice.dump();
    EXPECT_EQ(std::get<std::string>(result), error) << choice.dump();
  }
}

bool well_formed(const std::string& id) {
  if (id.size() != 29 || id.rfind("call_", 0) != 0) return false;
  for (std::size_t i = 5; i < id.size(); ++i) {
    const char c = id[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
  }
  return true;
}

TEST(ToolCallId, OpenAiShapeDeterministicAndDistinct) {
  EXPECT_EQ(make_tool_call_id(42), make_tool_call_id(42));
  std::set<std::string> ids;
  for (std::uint64_t n = 0; n < 20000; ++n) {
    const std::string id = make_tool_call_id(n * 0x10001);
    EXPECT_TRUE(well_formed(id)) << id;
    ids.insert(id);
  }
  ids.insert(make_tool_call_id(~0ULL));
  EXPECT_EQ(ids.size(), 20001U);
  std::set<std::string> next;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = next_tool_call_id();
    EXPECT_TRUE(well_formed(id)) << id;
    next.insert(id);
  }
  EXPECT_EQ(next.size(), 1000U);
}

}  // namespace
}  // namespace odma::server
