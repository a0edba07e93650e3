// Malformed, truncated or unsupported tokenizer files -> odma::Error naming the file and the
// problem; bad input to encode/decode -> odma::Error too, never a crash.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/file_io.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_test_util.h"

namespace odma::tokenizer {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// A small valid byte-less BPE tokenizer.json; tests break one part of it at a time.
nlohmann::json tiny() {
  return nlohmann::json::parse(R"({
    "version": "1.0",
    "added_tokens": [{"id": 5, "content": "<eos>", "special": true}],
    "normalizer": null,
    "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "\\s+"}, "behavior": "Removed",
                      "invert": false},
    "post_processor": null,
    "decoder": null,
    "model": {"type": "BPE", "unk_token": "?", "vocab": {"?": 0, "a": 1, "b": 2, "c": 3, "ab": 4},
              "merges": ["a b"]}
  })");
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const odma::Error& e) {
    return e.what();
  }
  return "<no odma::Error>";
}

std::string load_error(const nlohmann::json& j) {
  return error_of([&] { (void)Tokenizer::from_json(j.dump(), "bad/tokenizer.json"); });
}

TEST(TokenizerErrors, TinyTokenizerIsValid) {
  Tokenizer tok = Tokenizer::from_json(tiny().dump(), "tiny.json");
  EXPECT_EQ(tok.encode("ab c<eos>x"), (std::vector<std::int32_t>{4, 3, 5, 0}));
  EXPECT_EQ(tok.vocab_size(), 6);
}

TEST(TokenizerErrors, TruncatedJson) {
  std::string text = tiny().dump();
  for (std::size_t cut : {std::size_t{0}, text.size() / 3, text.size() - 1}) {
    auto msg =
        error_of([&] { (void)Tokenizer::from_json(text.substr(0, cut), "cut/tokenizer.json"); });
    EXPECT_THAT(msg,
                AllOf(HasSubstr("cut/tokenizer.json"), HasSubstr("truncated or invalid JSON")));
  }
}

TEST(TokenizerErrors, TruncatedShippedFileOnDisk) {
  auto dir = std::filesystem::temp_directory_path() / "odma_tok_truncated";
  std::filesystem::create_directories(dir);
  std::string full = odma::read_file(odma::data_file("models/stories260K-hf/tokenizer.json"));
  odma::write_file(dir / "tokenizer.json", full.substr(0, full.size() / 2));
  auto msg = error_of([&] { (void)Tokenizer::load(dir); });
  EXPECT_THAT(msg, AllOf(HasSubstr((dir / "tokenizer.json").string()), HasSubstr("truncated")));
  std::filesystem::remove_all(dir);
}

TEST(TokenizerErrors, MissingFiles) {
  EXPECT_THAT(error_of([] { (void)Tokenizer::load("/nonexistent/odma/tokenizer.json"); }),
              HasSubstr("tokenizer file not found: /nonexistent/odma/tokenizer.json"));
  auto dir = std::filesystem::temp_directory_path() / "odma_tok_empty_dir";
  std::filesystem::create_directories(dir);
  EXPECT_THAT(error_of([&] { (void)Tokenizer::load(dir); }), HasSubstr("no tokenizer.json"));
  std::filesystem::remove_all(dir);
}

TEST(TokenizerErrors, MissingModelOrVocab) {
  auto j = tiny();
  j.erase("model");
  EXPECT_THAT(load_error(j),
              AllOf(HasSubstr("bad/tokenizer.json"), HasSubstr("missing \"model\"")));
  j = tiny();
  j["model"].erase("vocab");
  EXPECT_THAT(load_error(j), HasSubstr("missing \"vocab\""));
  j = tiny();
  j["model"]["vocab"] = nlohmann::json::array();
  EXPECT_THAT(load_error(j), HasSubstr("missing \"vocab\""));
  j = tiny();
  j["model"]["vocab"] = nlohmann::json::object();
  EXPECT_THAT(load_error(j), HasSubstr("model.vocab is empty"));
  j = tiny();
  j["model"]["vocab"]["d"] = 1;  // id 1 is "a" already
  EXPECT_THAT(load_error(j), HasSubstr("appears twice"));
  j = tiny();
  j["model"]["vocab"]["d"] = -3;
  EXPECT_THAT(load_error(j), HasSubstr("non-negative"));
  j = tiny();
  j["model"]["vocab"]["d"] = 2000000000;  // would size the id tables at gigabytes
  EXPECT_THAT(load_error(j), HasSubstr("token id 2000000000 is too large"));
  j = tiny();
  j["model"].erase("merges");
  EXPECT_THAT(load_error(j), HasSubstr("missing \"merges\""));
}

TEST(TokenizerErrors, BadMergesEntries) {
  for (const char* bad : {R"("ab")", R"("a  b")", R"("a b c")", R"(" b")", R"(["a"])",
                          R"(["a", "b", "c"])", R"([1, 2])", R"(7)"}) {
    auto j = tiny();
    j["model"]["merges"] = nlohmann::json::array({nlohmann::json::parse(bad)});
    EXPECT_THAT(load_error(j), AllOf(HasSubstr("bad/tokenizer.json"), HasSubstr("model.merges[0]"),
                                     HasSubstr("bad merges entry")))
        << bad;
  }
  auto j = tiny();
  j["model"]["merges"] = {"a b", "b c"};  // "bc" is not a vocab entry
  EXPECT_THAT(load_error(j),
              AllOf(HasSubstr("model.merges[1]"), HasSubstr("\"bc\" is not in model.vocab")));
}

TEST(TokenizerErrors, MergesAsArraysEqualMergesAsStrings) {
  auto j = tiny();
  j["model"]["merges"] = nlohmann::json::array({nlohmann::json::array({"a", "b"})});
  Tokenizer arrays = Tokenizer::from_json(j.dump(), "arrays.json");
  Tokenizer strings = Tokenizer::from_json(tiny().dump(), "strings.json");
  EXPECT_EQ(arrays.encode("abab cab"), strings.encode("abab cab"));
  EXPECT_EQ(arrays.encode("abab cab"), (std::vector<std::int32_t>{4, 4, 3, 4}));
}

TEST(TokenizerErrors, UnsupportedModelAndSteps) {
  auto j = tiny();
  j["model"]["type"] = "WordPiece";
  EXPECT_THAT(load_error(j), HasSubstr("model type \"WordPiece\" is not supported"));
  j = tiny();
  j["model"]["unk_token"] = "<nope>";
  EXPECT_THAT(load_error(j), HasSubstr("model.unk_token"));
  j = tiny();
  j["pre_tokenizer"] = {{"type", "Whitespace"}};
  EXPECT_THAT(load_error(j), HasSubstr("pre_tokenizer type \"Whitespace\" is not supported"));
  j = tiny();
  j["pre_tokenizer"]["pattern"]["Regex"] = "(unclosed";
  EXPECT_THAT(load_error(j), HasSubstr("bad split pattern"));
  // An escape PCRE2 refuses inside a character class (found by fuzz_tokenizer_json): the message
  // names the file too.
  j["pre_tokenizer"]["pattern"]["Regex"] = "[^\\B]";
  EXPECT_THAT(load_error(j),
              AllOf(HasSubstr("bad/tokenizer.json"), HasSubstr("bad split pattern")));
  j = tiny();
  j["pre_tokenizer"]["behavior"] = "Sideways";
  EXPECT_THAT(load_error(j), HasSubstr("unknown split behavior"));
  j = tiny();
  j["normalizer"] = {{"type", "BertNormalizer"}};
  EXPECT_THAT(load_error(j), HasSubstr("normalizer type \"BertNormalizer\""));
  j = tiny();
  j["decoder"] = {{"type", "WordPiece"}};
  EXPECT_THAT(load_error(j), HasSubstr("decoder type \"WordPiece\""));
  j = tiny();
  j["post_processor"] = {{"type", "TemplateProcessing"},
                         {"single", {{{"SpecialToken", {{"id", "<bos>"}, {"type_id", 0}}}}}},
                         {"special_tokens", nlohmann::json::object()}};
  EXPECT_THAT(load_error(j), HasSubstr("\"<bos>\" not in special_tokens"));
  j = tiny();
  j["added_tokens"][0]["id"] = "five";
  EXPECT_THAT(load_error(j), HasSubstr("added_tokens[0].id"));
}

TEST(TokenizerErrors, ConfigNamesUnknownToken) {
  auto msg = error_of([] {
    (void)Tokenizer::from_json(tiny().dump(), "t.json", R"({"eos_token": "</s>"})",
                               "cfg/tokenizer_config.json");
  });
  EXPECT_THAT(msg, AllOf(HasSubstr("cfg/tokenizer_config.json"), HasSubstr("eos_token \"</s>\"")));
  msg = error_of(
      [] { (void)Tokenizer::from_json(tiny().dump(), "t.json", R"({"eos_token": )", "c.json"); });
  EXPECT_THAT(msg, AllOf(HasSubstr("c.json"), HasSubstr("truncated")));
  Tokenizer ok = Tokenizer::from_json(tiny().dump(), "t.json",
                                      R"({"eos_token": {"content": "<eos>"}, "bos_token": null})");
  EXPECT_EQ(ok.eos_id(), 5);
  EXPECT_FALSE(ok.bos_id().has_value());
}

TEST(TokenizerErrors, BadInputToEncodeAndDecode) {
  const Tokenizer& tok = odma::testing::qwen_tokenizer();
  EXPECT_THAT(error_of([&] { (void)tok.encode("ok \xC3\x28 bad"); }),
              HasSubstr("not valid UTF-8 (byte 3"));
  EXPECT_THAT(error_of([&] { (void)tok.encode("\xED\xA0\x80"); }),
              HasSubstr("not valid UTF-8"));  // surrogate
  std::vector<std::int32_t> ids = {9707, -1};
  EXPECT_THAT(error_of([&] { (void)tok.decode(ids); }),
              HasSubstr("token id -1 is not in the vocabulary"));
  ids = {tok.vocab_size()};
  EXPECT_THAT(error_of([&] { (void)tok.decode(ids); }), HasSubstr("is not in the vocabulary"));
}

}  // namespace
}  // namespace odma::tokenizer
