// Whole-output tool-call parsing (server/tool_calls.h): each format's calls, content and
// fallbacks, the flag names and template detection, and the calls the shipped chat templates
// render (data/chat_templates/fixtures/golden.json) read back.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/tool_calls.h"

namespace odma::server {
namespace {

using Calls = std::vector<ToolCall>;

ParsedToolCalls hermes(std::string_view s) {
  return parse_tool_calls(ToolCallFormat::kHermes, s);
}
ParsedToolCalls llama(std::string_view s) {
  return parse_tool_calls(ToolCallFormat::kLlama3Json, s);
}
ParsedToolCalls deepseek(std::string_view s) {
  return parse_tool_calls(ToolCallFormat::kDeepSeekV3, s);
}

std::string deepseek_call(std::string_view name, std::string_view args) {
  return "<｜tool▁call▁begin｜>function<｜tool▁sep｜>" + std::string(name) + "\n```json\n" +
         std::string(args) + "\n```<｜tool▁call▁end｜>";
}

const std::string kWeather = R"({"name": "get_weather", "arguments": {"city": "Paris"}})";
const std::string kTime = R"({"name": "get_time", "arguments": {}})";

TEST(ToolCallFlag, VllmNamesAndAnError) {
  EXPECT_EQ(parse_tool_call_parser_flag("hermes"), ToolCallFormat::kHermes);
  EXPECT_EQ(parse_tool_call_parser_flag("llama3_json"), ToolCallFormat::kLlama3Json);
  EXPECT_EQ(parse_tool_call_parser_flag("deepseek_v3"), ToolCallFormat::kDeepSeekV3);
  EXPECT_EQ(parse_tool_call_parser_flag("deepseekv3"), ToolCallFormat::kDeepSeekV3);
  EXPECT_EQ(parse_tool_call_parser_flag("mistral"), std::nullopt);
  EXPECT_EQ(parse_tool_call_parser_flag("Hermes"), std::nullopt);
  EXPECT_EQ(tool_call_parser_flag_error("mistral"),
            "unknown --tool-call-parser \"mistral\": expected hermes, llama3_json or deepseek_v3");
  for (auto f :
       {ToolCallFormat::kHermes, ToolCallFormat::kLlama3Json, ToolCallFormat::kDeepSeekV3}) {
    EXPECT_EQ(parse_tool_call_parser_flag(tool_call_parser_name(f)), f);
  }
}

TEST(ToolCallFormatDetection, ShippedTemplates) {
  const std::filesystem::path dir = std::filesystem::path(ODMA_SOURCE_DIR) / "data/chat_templates";
  const std::vector<std::pair<std::string, std::optional<ToolCallFormat>>> expected = {
      {"qwen2_5", ToolCallFormat::kHermes},
      {"qwen3", ToolCallFormat::kHermes},
      {"llama3_1_instruct", ToolCallFormat::kLlama3Json},
      {"llama3_2", ToolCallFormat::kLlama3Json},
      {"deepseek_v3", ToolCallFormat::kDeepSeekV3},
      {"deepseek_r1", ToolCallFormat::kDeepSeekV3},
      {"deepseek_r1_distill", ToolCallFormat::kDeepSeekV3},
      {"llama3", std::nullopt},
      {"llama3_1", std::nullopt},
      {"llama2_chat", std::nullopt},
  };
  for (const auto& [name, format] : expected) {
    std::ifstream in(dir / (name + ".json"));
    ASSERT_TRUE(in) << name;
    const auto config = nlohmann::json::parse(in);
    EXPECT_EQ(detect_tool_call_format(config.at("chat_template").get<std::string>()), format)
        << name;
  }
}

TEST(ToolCallHermes, NoCall) {
  const auto p = hermes("The weather is fine.\n");
  EXPECT_EQ(p.content, "The weather is fine.\n");
  EXPECT_TRUE(p.calls.empty());
  EXPECT_EQ(hermes("a <tool_x> b </tool_call> <tool_cal").content,
            "a <tool_x> b </tool_call> <tool_cal");
}

TEST(ToolCallHermes, OneCall) {
  const auto p = hermes("<tool_call>\n" + kWeather + "\n</tool_call>");
  EXPECT_EQ(p.content, "");
  EXPECT_EQ(p.calls, (Calls{{"get_weather", R"({"city":"Paris"})"}}));
}

TEST(ToolCallHermes, TwoCalls) {
  const auto p = hermes("<tool_call>\n" + kWeather + "\n</tool_call>\n<tool_call>\n" + kTime +
                        "\n</tool_call>");
  EXPECT_EQ(p.content, "");
  EXPECT_EQ(p.calls, (Calls{{"get_weather", R"({"city":"Paris"})"}, {"get_time", "{}"}}));
}

TEST(ToolCallHermes, ContentAroundCallsLosesOnlyTheWhitespaceNextToThem) {
  const auto p = hermes("Let me check.\n<tool_call>\n" + kWeather + "\n</tool_call>\n\nDone. ");
  EXPECT_EQ(p.content, "Let me check.Done. ");
  EXPECT_EQ(p.calls.size(), 1U);
}

TEST(ToolCallHermes, MalformedBlockStaysContentAndOtherCallsCount) {
  const std::string bad =
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": }\n"
      "</tool_call>";
  EXPECT_EQ(hermes(bad).content, bad);
  EXPECT_TRUE(hermes(bad).calls.empty());
  const auto p = hermes("Hi\n" + bad + "\n<tool_call>\n" + kTime + "\n</tool_call>");
  EXPECT_EQ(p.content, "Hi\n" + bad);
  EXPECT_EQ(p.calls, (Calls{{"get_time", "{}"}}));
  // Not a call object: no name, an empty name, arguments neither object nor JSON-object string.
  for (const std::string body : {R"({"arguments": {}})", R"({"name": "", "arguments": {}})",
                                 R"({"name": "f", "arguments": [1]})", R"({"name": "f"})",
                                 R"({"name": "f", "arguments": "not json"})", R"([1, 2])"}) {
    const std::string text = "<tool_call>" + body + "</tool_call>";
    EXPECT_EQ(hermes(text).content, text);
    EXPECT_TRUE(hermes(text).calls.empty()) << body;
  }
}

TEST(ToolCallHermes, UnclosedLastBlockCountsWhenItsJsonIsWhole) {
  EXPECT_EQ(hermes("<tool_call>\n" + kTime + "\n").calls, (Calls{{"get_time", "{}"}}));
  const auto p = hermes("x <tool_call>\n{\"name\": \"get_time\", \"argu");
  EXPECT_EQ(p.content, "x <tool_call>\n{\"name\": \"get_time\", \"argu");
  EXPECT_TRUE(p.calls.empty());
}

TEST(ToolCallHermes, UnicodeNestedAndStringArguments) {
  const auto unicode = hermes(
      "<tool_call>\n{\"name\": \"search\", \"arguments\": {\"q\": \"Zürich 東京 🌧\", "
      "\"esc\": \"\\u00e9\\n\"}}\n</tool_call>");
  ASSERT_EQ(unicode.calls.size(), 1U);
  EXPECT_EQ(unicode.calls[0].arguments, "{\"q\":\"Zürich 東京 🌧\",\"esc\":\"é\\n\"}");
  // Keys keep the model's order; brackets inside strings do not confuse anything.
  const auto nested = hermes(
      "<tool_call>{\"arguments\": {\"z\": {\"range\": [1, 2.5, {\"x\": null}]}, "
      "\"a\": \"}{\"}, \"name\": \"f\"}</tool_call>");
  EXPECT_EQ(nested.calls, (Calls{{"f", R"({"z":{"range":[1,2.5,{"x":null}]},"a":"}{"})"}}));
  // The first </tool_call> ends the block, even inside a string (as vLLM's regex).
  const std::string cut = R"(<tool_call>{"name": "f", "arguments": {"a": "</tool_call>"}})";
  EXPECT_EQ(hermes(cut).content, cut);
  const auto string_args =
      hermes(R"(<tool_call>{"name": "f", "arguments": "{\"city\": \"Paris\"}"}</tool_call>)");
  EXPECT_EQ(string_args.calls, (Calls{{"f", R"({"city": "Paris"})"}}));
}

TEST(ToolCallLlama3Json, NoCall) {
  for (const std::string text : {"The answer is 4.", "  Sure: {\"a\": 1}", "[1, 2]", "",
                                 "<|python_tag|>brave_search.call(query=\"x\")"}) {
    const auto p = llama(text);
    EXPECT_EQ(p.content, text);
    EXPECT_TRUE(p.calls.empty());
  }
  EXPECT_EQ(llama(R"({"answer": 42})").content, R"({"answer": 42})") << "JSON that is not a call";
}

TEST(ToolCallLlama3Json, OneCallWithOrWithoutPythonTag) {
  const Calls expected{{"get_weather", R"({"city":"Paris"})"}};
  const std::string call = R"({"name": "get_weather", "parameters": {"city": "Paris"}})";
  EXPECT_EQ(llama(call).calls, expected);
  EXPECT_EQ(llama(call).content, "");
  EXPECT_EQ(llama("<|python_tag|>" + call).calls, expected);
  EXPECT_EQ(llama(" \n" + call + "\n").calls, expected);
  EXPECT_EQ(llama(R"({"name": "get_weather", "arguments": {"city": "Paris"}})").calls, expected);
}

TEST(ToolCallLlama3Json, TwoCallsSeparatedBySemicolons) {
  const auto p = llama(R"({"name": "a", "parameters": {}}; {"name": "b", "parameters": {"x": 1}})");
  EXPECT_EQ(p.calls, (Calls{{"a", "{}"}, {"b", R"({"x":1})"}}));
  EXPECT_EQ(p.content, "");
  EXPECT_EQ(
      llama(R"({"name": "a", "parameters": {}};{"name": "b", "parameters": {}})").calls.size(), 2U);
}

TEST(ToolCallLlama3Json, ContentBeforeACallMakesItAllContent) {
  const std::string text = R"(Let me check. {"name": "a", "parameters": {}})";
  EXPECT_EQ(llama(text).content, text);
  EXPECT_TRUE(llama(text).calls.empty());
}

TEST(ToolCallLlama3Json, WhatFollowsTheCallsIsContent) {
  const auto p = llama(R"({"name": "a", "parameters": {}} Done.)");
  EXPECT_EQ(p.calls, (Calls{{"a", "{}"}}));
  EXPECT_EQ(p.content, "Done.");
  const auto q = llama(R"({"name": "a", "parameters": {}}; {"not": "a call"})");
  EXPECT_EQ(q.calls, (Calls{{"a", "{}"}}));
  EXPECT_EQ(q.content, R"(; {"not": "a call"})");
}

TEST(ToolCallLlama3Json, MalformedJsonIsContent) {
  for (const std::string text :
       {R"({"name": "a", "parameters": {"x": tru}})", R"({"name": "a", "parameters": {"x": 1})",
        R"({"name": "a", "parameters": [1]})", R"({"name": "a"})"}) {
    const auto p = llama(text);
    EXPECT_EQ(p.content, text);
    EXPECT_TRUE(p.calls.empty()) << text;
  }
}

TEST(ToolCallLlama3Json, UnicodeNestedAndStringParameters) {
  const auto p = llama(
      R"({"name": "f", "parameters": {"q": "Ωμέγα \"}\" 👩‍💻", "n": {"list": [[], {"k": [true]}]}}})");
  EXPECT_EQ(
      p.calls,
      (Calls{{"f", R"({"q":"Ωμέγα \"}\" 👩‍💻","n":{"list":[[],{"k":[true]}]}})"}}));
  EXPECT_EQ(llama(R"({"name": "f", "parameters": "{\"city\": \"Paris\"}"})").calls,
            (Calls{{"f", R"({"city": "Paris"})"}}));
}

TEST(ToolCallDeepSeekV3, NoCall) {
  const auto p = deepseek("Hello <｜tool▁call▁begin｜> there");
  EXPECT_EQ(p.content, "Hello <｜tool▁call▁begin｜> there");
  EXPECT_TRUE(p.calls.empty());
}

TEST(ToolCallDeepSeekV3, OneCallAsV3sTemplateWritesIt) {
  // No <｜tool▁calls▁end｜> after a single call.
  const auto p =
      deepseek("<｜tool▁calls▁begin｜>" + deepseek_call("get_weather", R"({"city": "Paris"})"));
  EXPECT_EQ(p.calls, (Calls{{"get_weather", R"({"city":"Paris"})"}}));
  EXPECT_EQ(p.content, "");
}

TEST(ToolCallDeepSeekV3, TwoCallsWithContentBeforeAndAfter) {
  const auto p = deepseek("Checking both.<｜tool▁calls▁begin｜>" + deepseek_call("a", "{}") + "\n" +
                          deepseek_call("b", R"({"x": [1, {"y": "z"}]})") +
                          "<｜tool▁calls▁end｜>\nAnything else?");
  EXPECT_EQ(p.calls, (Calls{{"a", "{}"}, {"b", R"({"x":[1,{"y":"z"}]})"}}));
  EXPECT_EQ(p.content, "Checking both.Anything else?");
}

TEST(ToolCallDeepSeekV3, MalformedCallStaysContent) {
  const std::string bad = deepseek_call("a", R"({"x": )");
  const auto p = deepseek("<｜tool▁calls▁begin｜>" + bad + "\n" + deepseek_call("b", "{}") +
                          "<｜tool▁calls▁end｜>");
  EXPECT_EQ(p.calls, (Calls{{"b", "{}"}}));
  EXPECT_EQ(p.content, "<｜tool▁calls▁begin｜>" + bad) << "the section's text goes with it";
  // With no valid call the output stays as it is.
  for (const std::string text : {
           "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>a\n{}<"
           "｜tool▁call▁end｜>"
           "\n<｜tool▁calls▁end｜>",
           "<｜tool▁calls▁begin｜>\n<｜tool▁call▁begin｜>function<｜tool▁sep｜>a\n```json\n{}",
           "<｜tool▁calls▁begin｜> <｜tool▁calls▁end｜> x",
       }) {
    EXPECT_EQ(deepseek(text).content, text);
    EXPECT_TRUE(deepseek(text).calls.empty());
  }
}

TEST(ToolCallDeepSeekV3, UnicodeArguments) {
  const auto p = deepseek("<｜tool▁calls▁begin｜>" +
                          deepseek_call("f", "{\"city\": \"München\", \"e\": \"🙂\"}"));
  EXPECT_EQ(p.calls, (Calls{{"f", "{\"city\":\"München\",\"e\":\"🙂\"}"}}));
}

// The assistant turns of `render` between `header` and the first of `ends` after it.
std::vector<std::string> turns(const std::string& render, const std::string& header,
                               const std::vector<std::string>& ends) {
  std::vector<std::string> out;
  for (std::size_t at = render.find(header); at != std::string::npos;
       at = render.find(header, at)) {
    at += header.size();
    std::size_t end = render.size();
    for (const auto& e : ends) end = std::min(end, render.find(e, at));
    out.push_back(render.substr(at, end - at));
  }
  return out;
}

TEST(ToolCallFixtures, CallsTheShippedTemplatesRenderParseBack) {
  std::ifstream in(std::filesystem::path(ODMA_SOURCE_DIR) /
                   "data/chat_templates/fixtures/golden.json");
  ASSERT_TRUE(in);
  const auto golden = nlohmann::json::parse(in);
  struct Case {
    std::string template_name, conversation, header;
    std::vector<std::string> ends;
    ToolCallFormat format;
    ToolCall call;
  };
  const ToolCall object_args{"get_weather", R"({"city":"Paris","unit":"celsius"})"};
  const ToolCall string_args{"get_weather", R"({"city": "Paris"})"};
  const std::string qwen = "<|im_start|>assistant\n";
  const std::string llama3 = "<|start_header_id|>assistant<|end_header_id|>\n\n";
  const std::string ds = "<｜Assistant｜>";
  const std::vector<std::string> ds_ends = {"<｜end▁of▁sentence｜>", "<｜tool▁outputs▁begin｜>"};
  const std::vector<Case> cases = {
      {"qwen2_5", "tool_calls", qwen, {"<|im_end|>"}, ToolCallFormat::kHermes, object_args},
      {"qwen3", "tool_calls", qwen, {"<|im_end|>"}, ToolCallFormat::kHermes, object_args},
      {"qwen2_5",
       "tool_calls_string_args",
       qwen,
       {"<|im_end|>"},
       ToolCallFormat::kHermes,
       string_args},
      {"llama3_1_instruct",
       "tool_calls",
       llama3,
       {"<|eot_id|>"},
       ToolCallFormat::kLlama3Json,
       object_args},
      {"llama3_2", "tool_calls", llama3, {"<|eot_id|>"}, ToolCallFormat::kLlama3Json, object_args},
      {"llama3_2",
       "tool_calls_string_args",
       llama3,
       {"<|eot_id|>"},
       ToolCallFormat::kLlama3Json,
       string_args},
      {"deepseek_v3",
       "tool_calls_string_args",
       ds,
       ds_ends,
       ToolCallFormat::kDeepSeekV3,
       {"get_weather", R"({"city":"Paris"})"}},
      {"deepseek_r1_distill",
       "tool_calls_string_args",
       ds,
       ds_ends,
       ToolCallFormat::kDeepSeekV3,
       {"get_weather", R"({"city":"Paris"})"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.template_name + " " + c.conversation);
    std::string render;
    for (const auto& r : golden.at("renders")) {
      if (r.at("template") == c.template_name && r.at("conversation") == c.conversation &&
          r.at("add_generation_prompt") == false) {
        render = r.at("output").get<std::string>();
      }
    }
    ASSERT_FALSE(render.empty());
    int with_calls = 0;
    for (const std::string& turn : turns(render, c.header, c.ends)) {
      const auto parsed = parse_tool_calls(c.format, turn);
      if (parsed.calls.empty()) continue;
      ++with_calls;
      EXPECT_EQ(parsed.calls, Calls{c.call}) << turn;
      EXPECT_EQ(parsed.content, "") << turn;
    }
    EXPECT_EQ(with_calls, 1);
  }
}

}  // namespace
}  // namespace odma::server
