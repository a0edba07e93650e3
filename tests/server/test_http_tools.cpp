// Tool calls through `odma serve` in OpenAI's shapes, on a model whose chat template (Qwen2.5's)
// teaches Hermes calls: tool_choice "required" and a named function constrain decoding to a call
// of an allowed tool with arguments of its schema, returned as message.tool_calls with
// finish_reason "tool_calls" (and as delta.tool_calls chunks when streamed); the call and the
// tool's answer go back to the model through the template; parallel_tool_calls false gives one
// call; a model with no known tool syntax refuses tools unless told "none".
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>

#include "server/http_test_util.h"
#include "server/real_vocab_model.h"

namespace odma::server::testing {
namespace {

class ToolsHttp : public RealVocabServer {};

// Two tools whose arguments are bounded, so a random model finishes its call.
nlohmann::json tools() {
  return nlohmann::json::parse(R"([
    {"type": "function", "function": {"name": "get_weather", "description": "Weather of a city",
      "parameters": {"type": "object", "properties": {
        "city": {"type": "string", "maxLength": 8},
        "unit": {"enum": ["celsius", "fahrenheit"]}},
        "required": ["city", "unit"], "additionalProperties": false}}},
    {"type": "function", "function": {"name": "get_time", "description": "Time in a zone",
      "parameters": {"type": "object", "properties": {
        "zone": {"type": "integer", "minimum": -12, "maximum": 14}},
        "required": ["zone"], "additionalProperties": false}}}
  ])");
}

nlohmann::json body(nlohmann::json extra, int seed) {
  nlohmann::json b = {{"messages", {{{"role", "user"}, {"content", "Weather in Paris?"}}}},
                      {"tools", tools()},
                      {"max_tokens", 150},
                      {"temperature", 1},
                      {"seed", seed}};
  b.update(extra);
  return b;
}

// A call's arguments are a JSON object text valid for its tool.
void expect_valid_call(const nlohmann::json& call) {
  ASSERT_EQ(call["type"], "function") << call;
  EXPECT_EQ(call["id"].get<std::string>().rfind("call_", 0), 0u) << call;
  const std::string name = call["function"]["name"];
  const nlohmann::json args =
      nlohmann::json::parse(call["function"]["arguments"].get<std::string>(), nullptr, false);
  ASSERT_TRUE(args.is_object()) << call;
  if (name == "get_weather") {
    EXPECT_TRUE(args.at("city").is_string()) << args;
    EXPECT_TRUE(args.at("unit") == "celsius" || args.at("unit") == "fahrenheit") << args;
    EXPECT_EQ(args.size(), 2u) << args;
  } else {
    ASSERT_EQ(name, "get_time") << call;
    EXPECT_GE(args.at("zone").get<int>(), -12) << args;
    EXPECT_LE(args.at("zone").get<int>(), 14) << args;
  }
}

// The calls a stream's delta.tool_calls chunks spell, by index.
nlohmann::json streamed_calls(const Stream& s, std::string& finish) {
  std::map<int, nlohmann::json> calls;
  for (const nlohmann::json& e : s.events) {
    if (!e.contains("choices") || e["choices"].empty()) continue;
    const nlohmann::json& c = e["choices"][0];
    if (c["finish_reason"].is_string()) finish = c["finish_reason"];
    if (!c["delta"].contains("tool_calls")) continue;
    for (const nlohmann::json& piece : c["delta"]["tool_calls"]) {
      nlohmann::json& call = calls[piece["index"].get<int>()];
      if (piece.contains("id")) {
        call = {{"id", piece["id"]},
                {"type", piece["type"]},
                {"function", {{"name", piece["function"]["name"]}, {"arguments", ""}}}};
      }
      call["function"]["arguments"] = call["function"]["arguments"].get<std::string>() +
                                      piece["function"]["arguments"].get<std::string>();
    }
  }
  nlohmann::json out = nlohmann::json::array();
  for (auto& [index, call] : calls) out.push_back(call);
  return out;
}

TEST_F(ToolsHttp, RequiredGivesCallsOfAllowedToolsWholeAndStreamed) {
  ASSERT_TRUE(server_->ok()) << server_->log();
  auto c = server_->client();
  for (int seed = 0; seed < 3; ++seed) {
    SCOPED_TRACE(seed);
    // One call (a random model would otherwise go on calling until max_tokens).
    const nlohmann::json b =
        body({{"tool_choice", "required"}, {"parallel_tool_calls", false}}, seed);
    const Reply r = post(c, "/v1/chat/completions", b);
    ASSERT_EQ(r.status, 200) << r.raw;
    const nlohmann::json& choice = r.body["choices"][0];
    EXPECT_EQ(choice["finish_reason"], "tool_calls") << r.raw;
    EXPECT_TRUE(choice["message"]["content"].is_null()) << r.raw;
    ASSERT_GE(choice["message"]["tool_calls"].size(), 1u) << r.raw;
    for (const nlohmann::json& call : choice["message"]["tool_calls"]) expect_valid_call(call);

    const Stream s = stream(c, "/v1/chat/completions", b);
    ASSERT_EQ(s.status, 200);
    std::string finish;
    nlohmann::json calls = streamed_calls(s, finish);
    EXPECT_EQ(finish, "tool_calls");
    EXPECT_EQ(s.text(), "");  // a required call leaves no content
    // Same seed and grammar: the same calls (ids are fresh per response).
    nlohmann::json whole = choice["message"]["tool_calls"];
    for (auto& call : whole) call.erase("id");
    for (auto& call : calls) call.erase("id");
    EXPECT_EQ(calls, whole);
  }
}

TEST_F(ToolsHttp, ParallelCallsFollowOneAnotherEachValid) {
  ASSERT_TRUE(server_->ok()) << server_->log();
  auto c = server_->client();
  std::size_t most = 0;
  for (int seed = 0; seed < 6; ++seed) {
    SCOPED_TRACE(seed);
    const Reply r = post(c, "/v1/chat/completions", body({{"tool_choice", "required"}}, seed));
    ASSERT_EQ(r.status, 200) << r.raw;
    const nlohmann::json& choice = r.body["choices"][0];
    // After each call the grammar offers another or EOS; max_tokens may cut the last call, which
    // then stays in the content as the text it was.
    ASSERT_GE(choice["message"]["tool_calls"].size(), 1u) << r.raw;
    for (const nlohmann::json& call : choice["message"]["tool_calls"]) expect_valid_call(call);
    most = std::max(most, choice["message"]["tool_calls"].size());
    if (choice["finish_reason"] == "length") {
      EXPECT_EQ(choice["message"]["content"].get<std::string>().rfind("<tool_call>", 0), 0u);
    } else {
      EXPECT_EQ(choice["finish_reason"], "tool_calls") << r.raw;
      EXPECT_TRUE(choice["message"]["content"].is_null()) << r.raw;
    }
  }
  EXPECT_GE(most, 2u);  // some answer made several calls
}

TEST_F(ToolsHttp, NamedFunctionAndNoParallelCallsGiveExactlyThatOneCall) {
  ASSERT_TRUE(server_->ok()) << server_->log();
  auto c = server_->client();
  for (int seed = 0; seed < 3; ++seed) {
    const Reply r =
        post(c, "/v1/chat/completions",
             body({{"tool_choice", {{"type", "function"}, {"function", {{"name", "get_time"}}}}},
                   {"parallel_tool_calls", false}},
                  seed));
    ASSERT_EQ(r.status, 200) << r.raw;
    const nlohmann::json& calls = r.body["choices"][0]["message"]["tool_calls"];
    ASSERT_EQ(calls.size(), 1u) << r.raw;
    EXPECT_EQ(calls[0]["function"]["name"], "get_time");
    expect_valid_call(calls[0]);
  }
}

TEST_F(ToolsHttp, ACallAndItsAnswerGoBackThroughTheTemplate) {
  ASSERT_TRUE(server_->ok()) << server_->log();
  auto c = server_->client();
  const Reply first = post(c, "/v1/chat/completions",
                           body({{"tool_choice", "required"}, {"parallel_tool_calls", false}}, 4));
  ASSERT_EQ(first.status, 200) << first.raw;
  const nlohmann::json call = first.body["choices"][0]["message"]["tool_calls"][0];
  nlohmann::json b = body({{"max_tokens", 8}, {"tool_choice", "auto"}}, 4);
  b["messages"].push_back(first.body["choices"][0]["message"]);
  b["messages"].push_back({{"role", "tool"}, {"tool_call_id", call["id"]}, {"content", "22 C"}});
  const Reply second = post(c, "/v1/chat/completions", b);
  ASSERT_EQ(second.status, 200) << second.raw;
  // The prompt grew by the call and the answer, as the template writes them.
  EXPECT_GT(second.body["usage"]["prompt_tokens"].get<int>(),
            first.body["usage"]["prompt_tokens"].get<int>() + 10);
  // /tokenize (vLLM's, with tools) counts exactly the chat request's prompt; without the tools the
  // template writes less.
  const Reply tokens =
      post(c, "/tokenize", nlohmann::json{{"messages", b["messages"]}, {"tools", tools()}});
  ASSERT_EQ(tokens.status, 200) << tokens.raw;
  EXPECT_EQ(tokens.body["count"], second.body["usage"]["prompt_tokens"]);
  const Reply bare = post(c, "/tokenize", nlohmann::json{{"messages", b["messages"]}});
  ASSERT_EQ(bare.status, 200) << bare.raw;
  EXPECT_LT(bare.body["count"].get<int>(), tokens.body["count"].get<int>());
  EXPECT_EQ(post(c, "/tokenize", nlohmann::json{{"messages", b["messages"]}, {"tools", 3}}).status,
            400);
}

TEST_F(ToolsHttp, AutoLeavesTheModelFreeAndNoneParsesNothing) {
  ASSERT_TRUE(server_->ok()) << server_->log();
  auto c = server_->client();
  for (const char* choice : {"auto", "none"}) {
    const Reply r =
        post(c, "/v1/chat/completions", body({{"tool_choice", choice}, {"max_tokens", 12}}, 1));
    ASSERT_EQ(r.status, 200) << r.raw;
    // A random model does not write <tool_call>: plain content, ended by length or EOS.
    EXPECT_NE(r.body["choices"][0]["finish_reason"], "tool_calls") << r.raw;
    EXPECT_FALSE(r.body["choices"][0]["message"].contains("tool_calls")) << r.raw;
  }
}

TEST(ToolsHttpWithoutSyntax, ToolsAreRefusedUnlessToolChoiceIsNone) {
  ServerProcess s({"--model", model_path("stories260K-hf"), "--kv-memory", "16MiB",
                   "--chat-template", chat_template_path("llama2_chat")});
  ASSERT_TRUE(s.ok()) << s.log();
  auto c = s.client();
  nlohmann::json b = body({{"max_tokens", 4}}, 0);
  const Reply refused = post(c, "/v1/chat/completions", b);
  EXPECT_EQ(refused.status, 400) << refused.raw;
  EXPECT_EQ(refused.body["error"]["param"], "tools") << refused.raw;
  EXPECT_NE(refused.raw.find("--tool-call-parser"), std::string::npos) << refused.raw;
  b["tool_choice"] = "none";
  EXPECT_EQ(post(c, "/v1/chat/completions", b).status, 200);
  EXPECT_EQ(s.terminate(), 0) << s.log();
}

}  // namespace
}  // namespace odma::server::testing
