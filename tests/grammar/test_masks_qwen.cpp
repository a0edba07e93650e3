// Token masks on the real Qwen2 vocabulary: equal to brute force (every token stepped on its
// own) at sampled positions, and random walks over allowed tokens stay inside the grammar.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "grammar/grammar.h"
#include "grammar/grammar_graph.h"
#include "grammar/matcher.h"
#include "grammar/stepper.h"
#include "grammar_test_util.h"
#include "qwen_vocabulary.h"

namespace odma::grammar {
namespace {

const char* const kSchemas[] = {
    R"({"type":"object","properties":{"location":{"type":"string"},"unit":{"enum":["celsius","fahrenheit"]}},"required":["location"]})",
    R"({"type":"object","properties":{"id":{"type":"integer","minimum":-40,"maximum":1234},"tags":{"type":"array","items":{"type":"string","maxLength":8},"maxItems":3},"ok":{"type":"boolean"}},"required":["id","tags","ok"]})",
    R"({"type":"object","properties":{"when":{"type":"string","format":"date-time"},"code":{"type":"string","pattern":"^[A-Z]{3}-[0-9]+$"},"note":{"type":["string","null"]}},"required":["when","code","note"]})",
    R"({"$defs":{"node":{"type":"object","properties":{"v":{"type":"number"},"kids":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["v","kids"]}},"$ref":"#/$defs/node"})",
    R"(true)",
};

// Length-bounded strings: positions far from both bounds share node masks, the others have their
// own (each a trie walk, so only the brute-force comparison walks them).
const char* const kBoundedSchemas[] = {
    R"({"type":"object","properties":{"a":{"type":"string","minLength":3,"maxLength":200},"b":{"type":"string","maxLength":150}},"required":["a","b"]})",
    R"({"type":"array","items":{"type":"string","minLength":140,"maxLength":160},"minItems":1})",
};

// Brute force: every token stepped on its own from `position`.
TokenMask brute_force(const Grammar& g, const Vocabulary& v, const StackSet& position) {
  TokenMask mask(v.size());
  Stepper stepper(g);
  StackSet s;
  for (std::int32_t id = 0; id < v.size(); ++id) {
    if (v.is_eos(id)) {
      if (position.can_end) mask.allow(id);
      continue;
    }
    if (v.bytes(id).empty()) continue;
    s = position;
    if (stepper.step_bytes(s, v.bytes(id))) mask.allow(id);
  }
  return mask;
}

TEST(MasksQwen, EqualBruteForceAlongRandomWalks) {
  VocabularyPtr vocab = testing::qwen_vocabulary();
  std::mt19937 rng(7);
  int compared = 0;
  std::vector<const char*> schemas(std::begin(kSchemas), std::end(kSchemas));
  schemas.insert(schemas.end(), std::begin(kBoundedSchemas), std::end(kBoundedSchemas));
  for (const char* text : schemas) {
    GrammarPtr g = json_schema_text(text);
    Matcher m(g, vocab);
    Stepper stepper(*g);
    StackSet position;
    stepper.initial(position);
    TokenMask mask;
    for (int step = 0; step < 60 && !m.finished(); ++step) {
      m.fill_mask(mask);
      if (step % 6 == 0 || m.can_end()) {
        TokenMask want = brute_force(*g, *vocab, position);
        ASSERT_EQ(mask.words(), want.words()) << text << " at step " << step;
        ++compared;
      }
      std::int32_t t = testing::random_allowed(mask, rng);
      ASSERT_TRUE(m.accept(t));
      if (!vocab->is_eos(t)) {
        ASSERT_TRUE(stepper.step_bytes(position, vocab->bytes(t)));
      }
    }
  }
  EXPECT_GE(compared, 20);
}

TEST(MasksQwen, DeepStacksEqualBruteForce) {
  // Past kMaxStackDepth - kRootedDepth frames, masks come from a full trie walk instead of node
  // masks; near kMaxStackDepth, deeper nesting stops being offered.
  VocabularyPtr vocab = testing::qwen_vocabulary();
  GrammarPtr g = json_schema_text(R"({"type":"array","items":{"$ref":"#"}})");
  for (std::size_t depth : {10, 70, 127}) {
    Matcher m(g, vocab);
    std::string prefix(depth, '[');
    ASSERT_TRUE(m.accept_bytes(prefix));
    Stepper stepper(*g);
    StackSet position;
    stepper.initial(position);
    ASSERT_TRUE(stepper.step_bytes(position, prefix));
    TokenMask mask;
    m.fill_mask(mask);
    EXPECT_EQ(mask.words(), brute_force(*g, *vocab, position).words()) << depth;
    EXPECT_GT(mask.count(), 0);
  }
}

TEST(MasksQwen, RandomWalksStayInsideTheGrammar) {
  VocabularyPtr vocab = testing::qwen_vocabulary();
  int ended = 0;
  for (const char* text : kSchemas) {
    GrammarPtr g = json_schema_text(text);
    for (unsigned seed = 1; seed <= 4; ++seed) {
      std::mt19937 rng(seed);
      Matcher m(g, vocab);
      TokenMask mask;
      std::string out;
      for (int step = 0; step < 200 && !m.finished(); ++step) {
        m.fill_mask(mask);
        ASSERT_GT(mask.count(), 0) << text << " after " << out;
        // Prefer ending once possible half the time, so that walks finish.
        std::int32_t t =
            m.can_end() && rng() % 2 ? vocab->eos_ids()[0] : testing::random_allowed(mask, rng);
        ASSERT_TRUE(m.accept(t)) << text << " after " << out;
        if (!vocab->is_eos(t)) out += vocab->bytes(t);
      }
      Matcher check(g, testing::byte_vocabulary());
      ASSERT_TRUE(check.accept_bytes(out)) << out;
      if (m.finished()) {
        ++ended;
        EXPECT_TRUE(check.can_end()) << out;
        EXPECT_TRUE(nlohmann::json::accept(out)) << out;
      }
    }
  }
  EXPECT_GE(ended, 5);
}

TEST(MasksQwen, ToolCallTokenKeepsItsBytes) {
  VocabularyPtr vocab = testing::qwen_vocabulary();
  const tokenizer::Tokenizer& t = testing::qwen_tokenizer();
  std::int32_t tool_call = *t.token_id("<tool_call>");
  std::int32_t im_start = *t.token_id("<|im_start|>");
  EXPECT_EQ(vocab->bytes(tool_call), "<tool_call>");
  EXPECT_TRUE(vocab->bytes(im_start).empty());
  EXPECT_EQ(vocab->size(), 151936);
  EXPECT_TRUE(vocab->bytes(151935).empty());
  Matcher m(sequence({literal("<tool_call>\n"), any_json_object()}), vocab);
  TokenMask mask;
  m.fill_mask(mask);
  EXPECT_TRUE(mask.allowed(tool_call));
  EXPECT_FALSE(mask.allowed(im_start));
  EXPECT_TRUE(m.accept(tool_call));
}

}  // namespace
}  // namespace odma::grammar
