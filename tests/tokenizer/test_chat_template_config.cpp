// Loading from tokenizer_config.json: the chat_template (string or named list) and the special
// tokens (strings or AddedToken objects) that render() passes along.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tokenizer/chat_template_test_util.h"

namespace odma::tokenizer {
namespace {

using nlohmann::ordered_json;
using odma::testing::chat_error_of;
using ::testing::HasSubstr;

std::string config_error(const std::string& json) {
  return chat_error_of([&] { ChatTemplate::from_tokenizer_config(json, "cfg.json"); });
}

TEST(ChatTemplateConfig, StringTemplateAndSpecialTokens) {
  auto t = ChatTemplate::from_tokenizer_config(R"({
      "chat_template": "{{ bos_token }}|{{ eos_token }}|{{ pad_token }}|{{ unk_token is defined }}",
      "bos_token": "<s>",
      "eos_token": {"__type": "AddedToken", "content": "</s>", "lstrip": false},
      "pad_token": {"content": "<pad>"},
      "unk_token": null,
      "sep_token": ""})",
                                               "cfg.json");
  EXPECT_EQ(t.render({}, false), "<s>|</s>|<pad>|false");
  EXPECT_EQ(t.special_tokens(),
            (ordered_json{{"bos_token", "<s>"}, {"eos_token", "</s>"}, {"pad_token", "<pad>"}}));
  EXPECT_EQ(t.origin(), "cfg.json");
}

TEST(ChatTemplateConfig, NamedTemplatesUseDefault) {
  auto t = ChatTemplate::from_tokenizer_config(R"({"chat_template": [
      {"name": "tool_use", "template": "tools"},
      {"name": "default", "template": "default {{ 1 + 1 }}"}]})",
                                               "");
  EXPECT_EQ(t.render({}, false), "default 2");
  EXPECT_THAT(
      config_error(
          R"({"chat_template": [{"name": "a", "template": "x"}, {"name": "b", "template": "y"}]})"),
      HasSubstr("cfg.json: chat_template has no template named 'default' (names: a, b)"));
  EXPECT_THAT(
      config_error(R"({"chat_template": [{"name": "default"}]})"),
      HasSubstr("chat_template entry 0 must be an object with string \"name\" and \"template\""));
}

TEST(ChatTemplateConfig, MissingOrMalformedConfig) {
  EXPECT_THAT(config_error("{\"chat_template\": \"x\""),
              HasSubstr("cfg.json: tokenizer_config is not valid JSON"));
  EXPECT_THAT(config_error("[1, 2]"), HasSubstr("tokenizer_config must be a JSON object"));
  EXPECT_THAT(config_error(R"({"bos_token": "<s>"})"),
              HasSubstr("cfg.json: tokenizer_config has no chat_template"));
  EXPECT_THAT(config_error(R"({"chat_template": null})"), HasSubstr("has no chat_template"));
  EXPECT_THAT(config_error(R"({"chat_template": 5})"),
              HasSubstr("chat_template must be a string or a list"));
  EXPECT_THAT(
      config_error(R"({"chat_template": "x", "bos_token": 7})"),
      HasSubstr("cfg.json: tokenizer_config field 'bos_token' must be a string or an object"));
  EXPECT_THAT(config_error(R"({"chat_template": "x", "eos_token": {"id": 2}})"),
              HasSubstr("field 'eos_token' must be a string or an object"));
  EXPECT_THAT(config_error(R"({"chat_template": "{{ x|wordcount }}"})"),
              HasSubstr("cfg.json: chat template line 1:6: unsupported filter 'wordcount'"));
}

TEST(ChatTemplateConfig, SpecialTokenHelper) {
  ordered_json config = {
      {"a", "<a>"}, {"b", {{"content", "<b>"}}}, {"c", nullptr}, {"d", ""}, {"e", 1}};
  EXPECT_EQ(ChatTemplate::special_token(config, "a"), "<a>");
  EXPECT_EQ(ChatTemplate::special_token(config, "b"), "<b>");
  EXPECT_EQ(ChatTemplate::special_token(config, "c"), std::nullopt);
  EXPECT_EQ(ChatTemplate::special_token(config, "d"), std::nullopt);
  EXPECT_EQ(ChatTemplate::special_token(config, "missing"), std::nullopt);
  EXPECT_THROW(ChatTemplate::special_token(config, "e"), odma::Error);
}

TEST(ChatTemplateConfig, SetSpecialTokenAddsAndRemoves) {
  auto t = ChatTemplate::parse("[{{ bos_token }}]", "");
  EXPECT_EQ(t.render({}, false), "[]");
  t.set_special_token("bos_token", "<s>");
  EXPECT_EQ(t.render({}, false), "[<s>]");
  t.set_special_token("bos_token", "");
  EXPECT_EQ(t.render({}, false), "[]");
}

TEST(ChatTemplateConfig, ShippedConfigsCarryTheirTokens) {
  EXPECT_EQ(odma::testing::shipped_chat_template("llama2_chat").special_tokens()["bos_token"],
            "<s>");
  EXPECT_EQ(odma::testing::shipped_chat_template("deepseek_v3").special_tokens()["bos_token"],
            "<\xEF\xBD\x9C"
            "begin\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>");
  EXPECT_FALSE(
      odma::testing::shipped_chat_template("qwen2_5").special_tokens().contains("bos_token"));
  EXPECT_EQ(odma::testing::shipped_chat_template("qwen2_5").special_tokens()["eos_token"],
            "<|im_end|>");
}

}  // namespace
}  // namespace odma::tokenizer
