// Streaming tool-call parsing (ToolCallStreamParser): under any split of the output into deltas,
// the events add up to the whole-output parse, chunks have OpenAI's delta.tool_calls shape, and
// content is held back only while it may still become part of a call.
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/rng.h"
#include "server/tool_calls.h"

namespace odma::server {
namespace {

struct Collected {
  std::vector<std::string> content;  // each content delta
  std::vector<ToolCallChunk> chunks;
};

void collect(std::vector<ToolCallStreamEvent> events, Collected& out) {
  for (auto& event : events) {
    if (auto* c = std::get_if<ContentDelta>(&event)) {
      EXPECT_FALSE(c->text.empty()) << "empty content deltas are not sent";
      out.content.push_back(std::move(c->text));
    } else {
      out.chunks.push_back(std::move(std::get<ToolCallChunk>(event)));
    }
  }
}

// Feeds `text` in pieces cut at random points (some empty, some one byte, some mid-character).
Collected stream(ToolCallFormat format, std::string_view text, std::uint64_t seed) {
  SplitMix64 rng(seed);
  ToolCallStreamParser parser(format);
  Collected out;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t n =
        std::min<std::size_t>(text.size() - at, rng.below(seed % 3 == 0 ? 3 : 12));
    collect(parser.feed(text.substr(at, n)), out);
    at += n;
  }
  collect(parser.finish(), out);
  EXPECT_EQ(parser.calls_sent(), static_cast<int>(out.chunks.size() / 2));
  return out;
}

// Reassembles calls the way an OpenAI client does, checking each chunk's shape.
std::vector<ToolCall> assemble(const std::vector<ToolCallChunk>& chunks) {
  std::vector<ToolCall> calls;
  for (const ToolCallChunk& chunk : chunks) {
    if (chunk.id) {
      EXPECT_EQ(chunk.index, static_cast<int>(calls.size())) << "indexes count up from 0";
      EXPECT_TRUE(chunk.name.has_value());
      EXPECT_EQ(chunk.arguments, "");
      calls.push_back({*chunk.name, ""});
    } else {
      EXPECT_FALSE(chunk.name.has_value());
      EXPECT_EQ(chunk.index, static_cast<int>(calls.size()) - 1);
      calls.back().arguments += chunk.arguments;
    }
  }
  return calls;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string s;
  for (const auto& p : parts) s += p;
  return s;
}

const std::string kHermesCall = R"({"name": "get_weather", "arguments": {"city": "Zürich"}})";
const std::string kDsCall =
    "<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"東京\"}\n```"
    "<｜tool▁call▁end｜>";

const std::vector<std::pair<ToolCallFormat, std::string>>& corpus() {
  static const std::vector<std::pair<ToolCallFormat, std::string>> outputs = {
      {ToolCallFormat::kHermes, "Plain text with <b>tags</b>, < and <tool_ but no call.\n\n"},
      {ToolCallFormat::kHermes, "<tool_call>\n" + kHermesCall + "\n</tool_call>"},
      {ToolCallFormat::kHermes, "Let me check. \n<tool_call>\n" + kHermesCall +
                                    "\n</tool_call>\n<tool_call>\n" + kHermesCall +
                                    "\n</tool_call>\n  Then: done.\n"},
      {ToolCallFormat::kHermes,
       "a<tool_call>{\"name\": \"f\", \"arguments\": {]}</tool_call>"
       "<tool_call>{\"name\": \"g\", \"arguments\": {}}"},
      {ToolCallFormat::kHermes, "<tool_call>{\"name\": \"f\", \"arguments\": {\"x\": \"<tool_call"},
      {ToolCallFormat::kLlama3Json, "No tools needed: 2 + 2 = 4."},
      {ToolCallFormat::kLlama3Json, R"(<|python_tag|>{"name": "f", "parameters": {"s": "}{\"][", )"
                                    R"("n": [1, {"m": []}]}}; {"name": "g", "parameters": {}})"},
      {ToolCallFormat::kLlama3Json, R"(  {"name": "f", "arguments": {}} ; then text)"},
      {ToolCallFormat::kLlama3Json, R"({"name": "f", "parameters": {"unfinished": )"},
      {ToolCallFormat::kLlama3Json, R"({"answer": "not a call"} trailing)"},
      {ToolCallFormat::kLlama3Json, "<|python_ta"},
      {ToolCallFormat::kDeepSeekV3, "No call here, only <｜tool▁calls▁beg"},
      {ToolCallFormat::kDeepSeekV3, "Checking.\n<｜tool▁calls▁begin｜>" + kDsCall + "\n" + kDsCall +
                                        "<｜tool▁calls▁end｜>\nDone."},
      {ToolCallFormat::kDeepSeekV3, "<｜tool▁calls▁begin｜>" + kDsCall},
      {ToolCallFormat::kDeepSeekV3,
       "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>f\n```json\n{bad}\n```"
       "<｜tool▁call▁end｜>" +
           kDsCall + " after"},
  };
  return outputs;
}

TEST(ToolCallStream, RandomSplitsGiveTheWholeOutputParse) {
  for (const auto& [format, text] : corpus()) {
    const ParsedToolCalls whole = parse_tool_calls(format, text);
    if (whole.calls.empty()) {
      EXPECT_EQ(whole.content, text) << "no call: nothing changes";
    }
    for (std::uint64_t seed = 0; seed < 60; ++seed) {
      SCOPED_TRACE(text + " / seed " + std::to_string(seed));
      const Collected streamed = stream(format, text, seed);
      EXPECT_EQ(joined(streamed.content), whole.content);
      EXPECT_EQ(assemble(streamed.chunks), whole.calls);
    }
  }
}

TEST(ToolCallStream, RandomSplitsOfRandomFragmentSoupsGiveTheWholeOutputParse) {
  // Texts glued from pieces of a format's syntax, whole and broken, and noise (other formats'
  // partial markers included), so that markers, calls and near-markers meet in every order.
  const std::vector<std::string> noise = {"\n", " ", "text",   "{",        "}",       ";",
                                          "\"", "ü", "<tool_", "<|python", "<｜tool", "```"};
  const std::string llama_call = R"({"name": "g", "parameters": {"s": "{;"}})";
  const std::vector<std::pair<ToolCallFormat, std::vector<std::string>>> soups = {
      {ToolCallFormat::kHermes,
       {"<tool_call>", "</tool_call>", kHermesCall,
        "<tool_call>\n" + kHermesCall + "\n</tool_call>"}},
      {ToolCallFormat::kLlama3Json, {"<|python_tag|>", "; ", llama_call, kHermesCall}},
      {ToolCallFormat::kDeepSeekV3,
       {"<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>", "<｜tool▁call▁begin｜>",
        "<｜tool▁call▁end｜>", kDsCall, "<｜tool▁calls▁begin｜>" + kDsCall,
        "function<｜tool▁sep｜>h\n```json\n{}\n```"}},
  };
  SplitMix64 rng(2024);
  for (const auto& [format, parts] : soups) {
    int with_calls = 0;
    for (int i = 0; i < 400; ++i) {
      std::string text;
      for (auto n = rng.below(10); n > 0; --n) {
        const auto& from = rng.below(2) == 0 ? parts : noise;
        text += from[rng.below(from.size())];
      }
      const ParsedToolCalls whole = parse_tool_calls(format, text);
      if (whole.calls.empty()) {
        EXPECT_EQ(whole.content, text);
      }
      const Collected streamed = stream(format, text, rng.next());
      EXPECT_EQ(joined(streamed.content), whole.content) << text;
      EXPECT_EQ(assemble(streamed.chunks), whole.calls) << text;
      with_calls += whole.calls.empty() ? 0 : 1;
    }
    EXPECT_GT(with_calls, 60) << tool_call_parser_name(format);
  }
}

TEST(ToolCallStream, IdsAreWellFormedAndDistinct) {
  std::set<std::string> ids;
  for (int run = 0; run < 3; ++run) {
    const Collected c = stream(ToolCallFormat::kHermes, corpus()[2].second, 7);
    for (const auto& chunk : c.chunks) {
      if (!chunk.id) continue;
      EXPECT_EQ(chunk.id->rfind("call_", 0), 0U);
      EXPECT_EQ(chunk.id->size(), 29U);
      EXPECT_TRUE(ids.insert(*chunk.id).second);
    }
  }
  EXPECT_EQ(ids.size(), 6U);
}

TEST(ToolCallStream, HoldsBackOnlyWhatMayStartACall) {
  ToolCallStreamParser p(ToolCallFormat::kHermes);
  Collected c;
  collect(p.feed("Hello wor"), c);
  EXPECT_EQ(joined(c.content), "Hello wor") << "text that cannot start a marker goes at once";
  collect(p.feed("ld <b> x <tool"), c);
  EXPECT_EQ(joined(c.content), "Hello world <b> x") << "\" <tool\" may start a call";
  collect(p.feed("_call>\n" + kHermesCall), c);
  EXPECT_EQ(joined(c.content), "Hello world <b> x");
  EXPECT_TRUE(c.chunks.empty()) << "a call is sent once its block is complete";
  collect(p.feed("\n</tool_call>"), c);
  ASSERT_EQ(c.chunks.size(), 2U);
  EXPECT_EQ(c.chunks[0].name, "get_weather");
  EXPECT_EQ(c.chunks[1].arguments, R"({"city":"Zürich"})");
  collect(p.feed("\n"), c);
  collect(p.finish(), c);
  EXPECT_EQ(joined(c.content), "Hello world <b> x");
}

TEST(ToolCallStream, MarkerTextNeverReachesContentByteByByte) {
  // Each delta one byte: no content delta may carry any part of a marker of a call that parsed.
  for (const auto& [format, text] : corpus()) {
    const ParsedToolCalls whole = parse_tool_calls(format, text);
    if (whole.calls.empty()) continue;
    ToolCallStreamParser p(format);
    Collected c;
    for (char ch : text) collect(p.feed(std::string_view(&ch, 1)), c);
    collect(p.finish(), c);
    for (const std::string& delta : c.content) {
      for (const std::string_view marker :
           {"<tool", "</tool", "<｜tool", "<|python", "{\"name\""}) {
        if (whole.content.find(marker) == std::string::npos) {
          EXPECT_EQ(delta.find(marker), std::string::npos) << text << " leaked in: " << delta;
        }
      }
    }
    EXPECT_EQ(joined(c.content), whole.content);
  }
}

TEST(ToolCallStream, Llama3JsonDecidesOnceTheFirstObjectIsComplete) {
  ToolCallStreamParser p(ToolCallFormat::kLlama3Json);
  Collected c;
  collect(p.feed(R"({"name": "f", "parameters": {"a": "}"})"), c);
  EXPECT_TRUE(c.content.empty() && c.chunks.empty());
  collect(p.feed("}"), c);
  EXPECT_EQ(assemble(c.chunks), (std::vector<ToolCall>{{"f", R"({"a":"}"})"}}));
  ToolCallStreamParser q(ToolCallFormat::kLlama3Json);
  Collected d;
  collect(q.feed("Sure"), d);
  EXPECT_EQ(joined(d.content), "Sure") << "not a \"{\": content at once";
}

}  // namespace
}  // namespace odma::server
