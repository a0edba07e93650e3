// The oracle test: every shipped template renders every fixture conversation (with and without
// add_generation_prompt) byte for byte as @huggingface/jinja does. golden.json is produced by
// tests/node/render_golden.mjs; where the oracle fails, odma must fail with the oracle's message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include "tokenizer/chat_template_test_util.h"

namespace odma::tokenizer {
namespace {

using nlohmann::ordered_json;
using ::testing::HasSubstr;

struct Golden {
  std::map<std::string, ordered_json> conversations;
  ordered_json renders;
};

const Golden& golden() {
  static const Golden g = [] {
    Golden out;
    const ordered_json fixture = odma::testing::chat_fixture("fixtures/conversations.json");
    for (const auto& c : fixture["conversations"]) {
      out.conversations[c["name"].get<std::string>()] = c;
    }
    out.renders = odma::testing::chat_fixture("fixtures/golden.json")["renders"];
    return out;
  }();
  return g;
}

// Plain {role, content: string} messages go through the ChatMessage API; anything richer
// (tool calls, null content) is passed as extra_context["messages"].
std::string render(const ChatTemplate& t, const ordered_json& conversation,
                   bool add_generation_prompt) {
  ordered_json extra = conversation.value("extra", ordered_json::object());
  std::vector<ChatMessage> messages;
  bool plain = true;
  for (const auto& m : conversation["messages"]) {
    plain = plain && m.size() == 2 && m.contains("role") && m.contains("content") &&
            m["content"].is_string();
    if (plain) messages.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
  }
  if (!plain) {
    messages.clear();
    extra["messages"] = conversation["messages"];
  }
  return t.render(messages, add_generation_prompt, extra);
}

class ChatTemplateGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(ChatTemplateGolden, MatchesOracleByteForByte) {
  const ChatTemplate t = odma::testing::shipped_chat_template(GetParam());
  int outputs = 0, errors = 0;
  for (const auto& r : golden().renders) {
    if (r["template"] != GetParam()) continue;
    const std::string conversation = r["conversation"].get<std::string>();
    const bool agp = r["add_generation_prompt"].get<bool>();
    SCOPED_TRACE(GetParam() + " / " + conversation +
                 " / add_generation_prompt=" + (agp ? "true" : "false"));
    const ordered_json& conv = golden().conversations.at(conversation);
    if (r.contains("output")) {
      std::string got;
      EXPECT_NO_THROW(got = render(t, conv, agp));
      EXPECT_EQ(got, r["output"].get<std::string>());
      ++outputs;
    } else {
      std::string message = odma::testing::chat_error_of([&] { render(t, conv, agp); });
      EXPECT_THAT(message, HasSubstr(r["error"].get<std::string>()));
      ++errors;
    }
  }
  // At least 8 conversations, each with and without the generation prompt, must render.
  EXPECT_GE(outputs, 16) << "errors: " << errors;
}

INSTANTIATE_TEST_SUITE_P(Shipped, ChatTemplateGolden,
                         ::testing::ValuesIn(odma::testing::chat_template_names()),
                         [](const auto& p) { return p.param; });

TEST(ChatTemplateGoldenSet, CoversEveryShippedTemplateAndConversation) {
  std::set<std::string> on_disk;
  for (const auto& entry :
       std::filesystem::directory_iterator(odma::data_dir() / "chat_templates")) {
    if (entry.path().extension() == ".json") on_disk.insert(entry.path().stem().string());
  }
  const auto& names = odma::testing::chat_template_names();
  EXPECT_EQ(on_disk, std::set<std::string>(names.begin(), names.end()));
  std::set<std::pair<std::string, std::string>> rendered;
  for (const auto& r : golden().renders) {
    rendered.emplace(r["template"].get<std::string>(), r["conversation"].get<std::string>());
  }
  EXPECT_EQ(rendered.size(), names.size() * golden().conversations.size());
  EXPECT_EQ(golden().renders.size(), 2 * rendered.size());  // add_generation_prompt both ways
}

}  // namespace
}  // namespace odma::tokenizer
