// Constrained tool calls (server/tool_call_grammar.h): random walks through each format's grammar
// over a one-byte-per-token vocabulary end in text that parse_tool_calls reads back as calls of the
// allowed tools, with arguments valid under their schemas.
#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/rng.h"
#include "grammar/matcher.h"
#include "server/tool_call_grammar.h"

namespace odma::server {
namespace {

using nlohmann::json;

const json& tools() {
  static const json t = json::parse(R"([
    {"type": "function", "function": {"name": "get_weather", "parameters": {
      "type": "object",
      "properties": {"city": {"type": "string"}, "unit": {"enum": ["celsius", "fahrenheit"]},
                     "days": {"type": "integer", "minimum": 1, "maximum": 14}},
      "required": ["city"], "additionalProperties": false}}},
    {"type": "function", "function": {"name": "get_time"}},
    {"type": "function", "function": {"name": "search", "parameters": {
      "properties": {"q": {"type": "string"}, "exact": {"type": "boolean"},
                     "filters": {"type": "array", "items": {"type": "object",
                       "properties": {"k": {"type": "string"}, "v": {"type": "number"}},
                       "required": ["k", "v"], "additionalProperties": false}}},
      "required": ["q"], "additionalProperties": false}}}
  ])");
  return t;
}

// Enough of JSON Schema for the schemas above.
bool valid(const json& v, const json& s) {
  if (s.contains("enum")) {
    const auto& e = s["enum"];
    if (std::find(e.begin(), e.end(), v) == e.end()) return false;
  }
  const std::string type = s.value("type", "");
  if (type == "string" && !v.is_string()) return false;
  if (type == "boolean" && !v.is_boolean()) return false;
  if (type == "number" && !v.is_number()) return false;
  if (type == "integer") {
    if (!v.is_number_integer()) return false;
    if (s.contains("minimum") && v.get<std::int64_t>() < s["minimum"].get<std::int64_t>()) {
      return false;
    }
    if (s.contains("maximum") && v.get<std::int64_t>() > s["maximum"].get<std::int64_t>()) {
      return false;
    }
  }
  if (type == "array") {
    if (!v.is_array()) return false;
    for (const auto& item : v) {
      if (s.contains("items") && !valid(item, s["items"])) return false;
    }
  }
  if (type == "object" || s.contains("properties")) {
    if (!v.is_object()) return false;
    for (const auto& name : s.value("required", json::array())) {
      if (!v.contains(name.get<std::string>())) return false;
    }
    const json properties = s.value("properties", json::object());
    for (const auto& [key, value] : v.items()) {
      if (properties.contains(key)) {
        if (!valid(value, properties[key])) return false;
      } else if (s.value("additionalProperties", true) == false) {
        return false;
      }
    }
  }
  return true;
}

// The same, as the server passes tools to tool_call_grammar (key order kept).
const nlohmann::ordered_json& ordered_tools() {
  static const nlohmann::ordered_json t = nlohmann::ordered_json::parse(tools().dump());
  return t;
}

const json& schema_of(const std::string& name) {
  static const json any_object = {{"type", "object"}};
  for (const auto& tool : tools()) {
    if (tool["function"]["name"] == name) {
      return tool["function"].contains("parameters") ? tool["function"]["parameters"] : any_object;
    }
  }
  ADD_FAILURE() << "no tool " << name;
  return any_object;
}

constexpr std::int32_t kEos = 256;

// Token b (0..255) is the byte b; token kEos is EOS.
grammar::VocabularyPtr byte_vocabulary() {
  std::vector<std::string> bytes;
  for (int b = 0; b < 256; ++b) bytes.emplace_back(1, static_cast<char>(b));
  bytes.emplace_back();
  return std::make_shared<grammar::Vocabulary>(std::move(bytes), std::vector<std::int32_t>{kEos});
}

// A random walk to EOS. Past a budget of bytes it ends as soon as it may and otherwise prefers
// quotes (which close a string, or open one that the next quote closes), then closing brackets,
// so that free-form values finish.
std::string walk(const grammar::GrammarPtr& g, const grammar::VocabularyPtr& vocab,
                 std::uint64_t seed) {
  constexpr std::size_t kBudget = 400;
  SplitMix64 rng(seed);
  grammar::Matcher m(g, vocab);
  grammar::TokenMask mask;
  std::string out;
  while (out.size() < 20000) {
    m.fill_mask(mask);
    const bool over = out.size() > kBudget;
    std::int32_t pick = -1;
    if (mask.allowed(kEos) && (over || rng.below(4) == 0)) pick = kEos;
    for (const char c : {'"', '}', ']'}) {
      if (over && pick < 0 && mask.allowed(static_cast<unsigned char>(c))) {
        pick = static_cast<unsigned char>(c);
      }
    }
    if (pick < 0) {
      // No exponent after a digit: nlohmann (like Python's json) cannot hold 1e489, which JSON
      // and the grammar allow, so such a call would read back as content.
      const bool after_digit = !out.empty() && out.back() >= '0' && out.back() <= '9';
      std::vector<std::int32_t> bytes;
      for (std::int32_t t = 0; t < kEos; ++t) {
        if (mask.allowed(t) && !(after_digit && (t == 'e' || t == 'E'))) bytes.push_back(t);
      }
      if (bytes.empty() && !mask.allowed(kEos)) {
        ADD_FAILURE() << "empty mask after: " << out;
        return out;
      }
      pick = bytes.empty() ? kEos : bytes[rng.below(bytes.size())];
    }
    if (!m.accept(pick)) {
      ADD_FAILURE() << "allowed token " << pick << " refused after: " << out;
      return out;
    }
    if (pick == kEos) return out;
    out += static_cast<char>(pick);
  }
  ADD_FAILURE() << "no EOS after 20000 bytes: " << out.substr(0, 200);
  return out;
}

TEST(ToolCallGrammar, RandomWalksParseBackAsAllowedValidCalls) {
  const auto vocab = byte_vocabulary();
  for (auto format :
       {ToolCallFormat::kHermes, ToolCallFormat::kLlama3Json, ToolCallFormat::kDeepSeekV3}) {
    for (const std::optional<std::string>& only : {std::optional<std::string>(), {"search"}}) {
      for (const bool parallel : {false, true}) {
        const auto g = tool_call_grammar(format, ordered_tools(), only, parallel);
        std::set<std::string> names;
        std::size_t most_calls = 0;
        for (std::uint64_t seed = 0; seed < 25; ++seed) {
          const std::string text = walk(g, vocab, seed);
          SCOPED_TRACE(std::string(tool_call_parser_name(format)) + " " + only.value_or("*") +
                       (parallel ? " parallel: " : ": ") + text);
          const ParsedToolCalls parsed = parse_tool_calls(format, text);
          EXPECT_EQ(parsed.content, "");
          ASSERT_FALSE(parsed.calls.empty());
          most_calls = std::max(most_calls, parsed.calls.size());
          for (const ToolCall& call : parsed.calls) {
            names.insert(call.name);
            EXPECT_TRUE(valid(json::parse(call.arguments), schema_of(call.name))) << call.arguments;
          }
        }
        // The walks cover what the grammar allows, and only that.
        EXPECT_EQ(most_calls > 1, parallel);
        const std::set<std::string> allowed =
            only ? std::set<std::string>{*only}
                 : std::set<std::string>{"get_time", "get_weather", "search"};
        EXPECT_EQ(names, allowed);
      }
    }
  }
}

TEST(ToolCallGrammar, AcceptsCallsAsTheTemplatesWriteThem) {
  const auto vocab = byte_vocabulary();
  const std::vector<std::pair<ToolCallFormat, std::string>> texts = {
      {ToolCallFormat::kHermes,
       "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
       "</tool_call>\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>"},
      {ToolCallFormat::kLlama3Json,
       "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}; "
       "{\"name\": \"get_time\", \"parameters\": {}}"},
      {ToolCallFormat::kDeepSeekV3,
       "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n"
       "{\"city\": \"Paris\"}\n```<｜tool▁call▁end｜>\n<｜tool▁call▁begin｜>function<｜tool▁sep｜>"
       "get_time\n```json\n{}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>"},
  };
  for (const auto& [format, text] : texts) {
    grammar::Matcher parallel(tool_call_grammar(format, ordered_tools(), std::nullopt, true),
                              vocab);
    EXPECT_TRUE(parallel.accept_bytes(text)) << text;
    EXPECT_TRUE(parallel.can_end()) << text;
    EXPECT_EQ(parse_tool_calls(format, text).calls.size(), 2U);
    grammar::Matcher single(tool_call_grammar(format, ordered_tools(), std::nullopt, false), vocab);
    EXPECT_FALSE(single.accept_bytes(text)) << "one call only: " << text;
  }
}

TEST(ToolCallGrammar, Errors) {
  EXPECT_THROW(
      (void)tool_call_grammar(ToolCallFormat::kHermes, ordered_tools(), std::string("nope"), false),
      odma::Error);
  const auto bad =
      nlohmann::ordered_json::parse(R"([{"type": "function", "function": {"name": "a"}},
      {"type": "function", "function": {"name": "f", "parameters": {"type": "object",
       "properties": {"x": {"type": "nonsense"}}}}}])");
  try {
    (void)tool_call_grammar(ToolCallFormat::kHermes, bad, std::nullopt, false);
    ADD_FAILURE() << "no GrammarError";
  } catch (const grammar::GrammarError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("tools[1].function.parameters: ", 0), 0U) << e.what();
    EXPECT_EQ(e.path(), "/properties/x/type");
  }
}

}  // namespace
}  // namespace odma::server
