// Exact agreement with reference tokenizations: every id of data/tokenizer/golden.jsonl (Qwen2,
// 1,617 texts, ids and decoded text) and the encode cases of stories260K-hf/reference.json.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tokenizer/tokenizer_test_util.h"

namespace odma::tokenizer {
namespace {

using odma::testing::data_lines;
using odma::testing::qwen_tokenizer;
using odma::testing::stories_tokenizer;

TEST(TokenizerGolden, QwenEveryCaseEncodesAndDecodesExactly) {
  const Tokenizer& tok = qwen_tokenizer();
  auto lines = data_lines("tokenizer/golden.jsonl");
  ASSERT_EQ(lines.size(), 1617u);
  int encode_failures = 0, decode_failures = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto j = nlohmann::json::parse(lines[i]);
    const auto text = j.at("text").get<std::string>();
    const auto want = j.at("ids").get<std::vector<std::int32_t>>();
    const auto got = tok.encode(text);
    if (got != want && ++encode_failures <= 5) {
      ADD_FAILURE() << "golden line " << i + 1 << " encodes differently: " << text.substr(0, 200);
    }
    const auto decoded = tok.decode(want);
    if (decoded != j.at("decoded").get<std::string>() && ++decode_failures <= 5) {
      ADD_FAILURE() << "golden line " << i + 1
                    << " decodes differently: " << decoded.substr(0, 200);
    }
  }
  EXPECT_EQ(encode_failures, 0);
  EXPECT_EQ(decode_failures, 0);
}

TEST(TokenizerGolden, StoriesReferenceEncodeCases) {
  const Tokenizer& tok = stories_tokenizer();
  auto ref = nlohmann::json::parse(
      odma::read_file(odma::data_file("models/stories260K-hf/reference.json")));
  const auto& cases = ref.at("tokenizer_cases");
  ASSERT_GE(cases.size(), 3u);
  for (const auto& c : cases) {
    const auto text = c.at("text").get<std::string>();
    const auto want = c.at("ids_with_bos").get<std::vector<std::int32_t>>();
    EXPECT_EQ(tok.encode(text, /*add_special_tokens=*/true), want) << text;
    // Without special tokens the same ids minus the leading BOS.
    EXPECT_EQ(tok.encode(text), std::vector<std::int32_t>(want.begin() + 1, want.end())) << text;
    EXPECT_EQ(tok.decode(want, /*skip_special=*/true), text);
  }
}

TEST(TokenizerGolden, StoriesGreedyIdsDecodeToReferenceText) {
  const Tokenizer& tok = stories_tokenizer();
  auto ref = nlohmann::json::parse(
      odma::read_file(odma::data_file("models/stories260K-hf/reference.json")));
  const auto ids = ref.at("greedy_ids_after_bos").get<std::vector<std::int32_t>>();
  const auto text = ref.at("greedy_text").get<std::string>();
  EXPECT_EQ(tok.decode(ids), text);
  // The reference ids are what the model generated, not necessarily what encode gives back, but
  // decode(encode(text)) must round-trip.
  EXPECT_EQ(tok.decode(tok.encode(text)), text);
}

}  // namespace
}  // namespace odma::tokenizer
