// The schema corpus: every schema compiles and seeded walks over the Qwen2 vocabulary produce
// JSON; every schema in unsupported/ is refused naming its keyword.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "corpus.h"
#include "grammar/grammar.h"
#include "grammar/matcher.h"
#include "grammar_test_util.h"
#include "qwen_vocabulary.h"

namespace odma::grammar {
namespace {

TEST(Corpus, EverySchemaCompilesAndWalksToJson) {
  auto files = testing::corpus_files(testing::corpus_dir());
  ASSERT_GE(files.size(), 20U);
  VocabularyPtr vocab = testing::qwen_vocabulary();
  int ended = 0;
  for (const auto& [name, text] : files) {
    GrammarPtr g;
    ASSERT_NO_THROW(g = json_schema_text(text)) << name;
    std::mt19937 rng(11);
    Matcher m(g, vocab);
    TokenMask mask;
    std::string out;
    for (int step = 0; step < 300 && !m.finished(); ++step) {
      m.fill_mask(mask);
      ASSERT_GT(mask.count(), 0) << name << " after " << out;
      std::int32_t t = m.can_end() ? vocab->eos_ids()[0] : testing::random_allowed(mask, rng);
      ASSERT_TRUE(m.accept(t)) << name;
      if (!vocab->is_eos(t)) out += vocab->bytes(t);
    }
    EXPECT_TRUE(testing::prefix_ok(g, out)) << name << ": " << out;
    if (m.finished()) {
      ++ended;
      EXPECT_TRUE(nlohmann::json::accept(out)) << name << ": " << out;
    }
  }
  EXPECT_GE(ended, 3);
}

TEST(Corpus, UnsupportedSchemasAreRefusedNamingTheKeyword) {
  auto files = testing::corpus_files(testing::corpus_dir() / "unsupported");
  ASSERT_GE(files.size(), 5U);
  for (const auto& [name, text] : files) {
    auto doc = nlohmann::ordered_json::parse(text);
    try {
      (void)json_schema_ordered(doc["schema"]);
      ADD_FAILURE() << name << " compiled";
    } catch (const GrammarError& e) {
      EXPECT_EQ(e.path(), doc["expected_error_path"].get<std::string>()) << name;
    }
  }
}

}  // namespace
}  // namespace odma::grammar
