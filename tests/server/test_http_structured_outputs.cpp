// Structured outputs through `odma serve`, in OpenAI's and vLLM's request shapes: response_format
// json_schema and json_object, vLLM's structured_outputs and guided_* fields, streamed and not, on
// both endpoints; max_tokens before the end is finish_reason "length"; and the clear 400s
// (unsupported keyword named, unsatisfiable schema, two kinds at once, ignore_eos, EBNF).
// The model: the tiny shape with Qwen2's padded 151,936-row vocabulary and its full tokenizer
// (random weights), so every mask covers the real vocabulary.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <string>

#include "server/http_test_util.h"
#include "server/real_vocab_model.h"

namespace odma::server::testing {
namespace {

class StructuredOutputsHttp : public RealVocabServer {};

// Every field bounded, so a random model reaches the end (and must then say EOS).
nlohmann::json weather_schema() {
  return nlohmann::json::parse(R"({
    "type": "object",
    "properties": {
      "city": {"type": "string", "maxLength": 8},
      "days": {"type": "integer", "minimum": -3, "maximum": 14},
      "unit": {"enum": ["celsius", "fahrenheit"]},
      "alerts": {"type": "boolean"}
    },
    "required": ["city", "days", "unit", "alerts"],
    "additionalProperties": false
  })");
}

void expect_weather(const std::string& text) {
  const nlohmann::json v = nlohmann::json::parse(text, nullptr, false);
  ASSERT_TRUE(v.is_object()) << text;
  EXPECT_EQ(v.size(), 4u) << text;
  EXPECT_TRUE(v.at("city").is_string()) << text;
  EXPECT_GE(v.at("days").get<int>(), -3) << text;
  EXPECT_LE(v.at("days").get<int>(), 14) << text;
  EXPECT_TRUE(v.at("unit") == "celsius" || v.at("unit") == "fahrenheit") << text;
  EXPECT_TRUE(v.at("alerts").is_boolean()) << text;
}

nlohmann::json chat(nlohmann::json extra, int seed) {
  nlohmann::json body = {{"messages", {{{"role", "user"}, {"content", "Weather in Paris?"}}}},
                         {"max_tokens", 120},
                         {"temperature", 1},
                         {"seed", seed}};
  body.update(extra);
  return body;
}

nlohmann::json json_schema_format(const nlohmann::json& schema) {
  return {{"response_format",
           {{"type", "json_schema"},
            {"json_schema", {{"name", "weather"}, {"schema", schema}, {"strict", true}}}}}};
}

TEST_F(StructuredOutputsHttp, JsonSchemaGivesValuesOfTheSchemaWholeAndStreamed) {
  ASSERT_TRUE(server_->ok()) << server_->log();
  auto c = server_->client();
  for (int seed = 0; seed < 4; ++seed) {
    SCOPED_TRACE(seed);
    const nlohmann::json body = chat(json_schema_format(weather_schema()), seed);
    const Reply r = post(c, "/v1/chat/completions", body);
    ASSERT_EQ(r.status, 200) << r.raw;
    EXPECT_EQ(r.body["choices"][0]["finish_reason"], "stop");
    const std::string content = r.body["choices"][0]["message"]["content"];
    expect_weather(content);
    const Stream s = stream(c, "/v1/chat/completions", body);
    ASSERT_EQ(s.status, 200);
    EXPECT_TRUE(s.done);
    EXPECT_EQ(s.text(), content);  // same seed, same grammar: the same tokens
  }
}

TEST_F(StructuredOutputsHttp, JsonObjectAndVllmFieldsOnBothEndpoints) {
  ASSERT_TRUE(server_->ok()) << server_->log();
  auto c = server_->client();
  {
    const Reply r =
        post(c, "/v1/chat/completions",
             chat({{"response_format", {{"type", "json_object"}}}, {"max_tokens", 60}}, 1));
    ASSERT_EQ(r.status, 200) << r.raw;
    const std::string content = r.body["choices"][0]["message"]["content"];
    if (r.body["choices"][0]["finish_reason"] == "stop") {
      EXPECT_TRUE(nlohmann::json::parse(content, nullptr, false).is_object()) << content;
    } else {
      EXPECT_EQ(content.front(), '{') << content;  // cut by max_tokens: a prefix of an object
    }
  }
  const std::vector<std::string> options = {"sunny", "rainy", "foggy"};
  for (const nlohmann::json& ask :
       {nlohmann::json{{"guided_choice", options}},
        nlohmann::json{{"structured_outputs", {{"choice", options}}}}}) {
    nlohmann::json body = {
        {"prompt", "The sky is"}, {"max_tokens", 10}, {"temperature", 1}, {"seed", 3}};
    body.update(ask);
    const Reply r = post(c, "/v1/completions", body);
    ASSERT_EQ(r.status, 200) << r.raw;
    const std::string text = r.body["choices"][0]["text"];
    EXPECT_NE(std::find(options.begin(), options.end(), text), options.end()) << text;
  }
  const std::string pattern = "[A-Z]{2}-[0-9]{3,4}";
  for (const nlohmann::json& ask : {nlohmann::json{{"guided_regex", pattern}},
                                    nlohmann::json{{"structured_outputs", {{"regex", pattern}}}}}) {
    const Reply r = post(c, "/v1/chat/completions", chat(ask, 4));
    ASSERT_EQ(r.status, 200) << r.raw;
    EXPECT_EQ(r.body["choices"][0]["finish_reason"], "stop");
    const std::string content = r.body["choices"][0]["message"]["content"];
    EXPECT_TRUE(std::regex_match(content, std::regex(pattern))) << content;
  }
  const Reply j = post(c, "/v1/chat/completions", chat({{"guided_json", weather_schema()}}, 6));
  ASSERT_EQ(j.status, 200) << j.raw;
  expect_weather(j.body["choices"][0]["message"]["content"]);
}

TEST_F(StructuredOutputsHttp, MaxTokensBeforeTheEndIsFinishReasonLength) {
  ASSERT_TRUE(server_->ok()) << server_->log();
  auto c = server_->client();
  nlohmann::json body = chat(json_schema_format(weather_schema()), 2);
  body["max_tokens"] = 3;
  const Reply r = post(c, "/v1/chat/completions", body);
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(r.body["usage"]["completion_tokens"], 3);
}

TEST_F(StructuredOutputsHttp, WhatCannotBeHonouredIsA400NamingIt) {
  ASSERT_TRUE(server_->ok()) << server_->log();
  auto c = server_->client();
  const auto expect_400 = [&](const nlohmann::json& body, const std::string& param,
                              const std::string& needle) {
    const Reply r = post(c, "/v1/chat/completions", body);
    EXPECT_EQ(r.status, 400) << r.raw;
    EXPECT_EQ(r.body["error"]["param"], param) << r.raw;
    EXPECT_NE(r.raw.find(needle), std::string::npos) << r.raw;
  };
  const std::string schema_param = "response_format.json_schema.schema";
  expect_400(chat(json_schema_format({{"type", "array"}, {"uniqueItems", true}}), 0), schema_param,
             "uniqueItems");
  expect_400(chat(json_schema_format(
                      {{"type", "object"},
                       {"properties",
                        {{"tags", {{"type", "array"}, {"contains", {{"type", "string"}}}}}}}}),
                  0),
             schema_param, "/properties/tags/contains");
  expect_400(chat(json_schema_format({{"type", "string"}, {"minLength", 5}, {"maxLength", 2}}), 0),
             schema_param, "satisf");
  expect_400(chat({{"response_format", {{"type", "json_schema"}}}}, 0),
             "response_format.json_schema", "required");
  expect_400(chat({{"response_format", {{"type", "xml"}}}}, 0), "response_format.type", "xml");
  expect_400(chat({{"response_format", {{"type", "json_object"}}}, {"guided_regex", "a+"}}, 0),
             "guided_regex", "Only one");
  expect_400(chat({{"response_format", {{"type", "json_object"}}}, {"ignore_eos", true}}, 0),
             "ignore_eos", "ignore_eos");
  expect_400(chat({{"guided_grammar", "root ::= \"a\""}}, 0), "guided_grammar", "EBNF");
  expect_400(chat({{"guided_choice", nlohmann::json::array()}}, 0), "guided_choice", "non-empty");
  // The server serves on after every refusal.
  const Reply ok = post(c, "/v1/chat/completions", chat({{"max_tokens", 2}}, 0));
  EXPECT_EQ(ok.status, 200) << ok.raw;
}

}  // namespace
}  // namespace odma::server::testing
