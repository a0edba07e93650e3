// Structured outputs in the engine: every request with a grammar ends with output its grammar
// accepts (and, ended by EOS, a whole JSON value of its schema), whatever the sampled logits say;
// requests without one beside it are untouched; the log-probabilities stay the model's own; and the
// requests the engine cannot constrain are refused at submit. On the real Qwen2 vocabulary
// (151,936 rows, 151,665 tokenizer ids), where a mask is computed over every token.
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "grammar/matcher.h"
#include "grammar/tokenizer_vocabulary.h"
#include "serve_test_util.h"
#include "test_scale.h"
#include "tokenizer/tokenizer.h"

namespace odma::serve {
namespace {

using testing::engine_config;
using testing::Job;
using testing::random_prompt;
using testing::run_all;
using testing::sampled;

using testing::RealVocabModel;

const RealVocabModel& real_vocab_model() {
  static const RealVocabModel m = testing::real_vocab_model(11);
  return m;
}

// A function-call-shaped schema whose every field is bounded, so random logits end it quickly.
const nlohmann::json& call_schema() {
  static const nlohmann::json s = nlohmann::json::parse(R"({
    "type": "object",
    "properties": {
      "city": {"type": "string", "maxLength": 6},
      "days": {"type": "integer", "minimum": 1, "maximum": 14},
      "unit": {"enum": ["celsius", "fahrenheit"]},
      "alerts": {"type": "boolean"}
    },
    "required": ["city", "days", "unit", "alerts"],
    "additionalProperties": false
  })");
  return s;
}

RequestParams constrained(std::uint64_t seed, grammar::GrammarPtr g, int max_tokens = 80) {
  RequestParams p = sampled(max_tokens, seed);
  p.sampling.ignore_eos = false;
  p.grammar = std::move(g);
  return p;
}

// True when `text` is a whole string of `g`'s language.
bool accepted_whole(const grammar::GrammarPtr& g, const grammar::VocabularyPtr& v,
                    const std::string& text) {
  grammar::Matcher m(g, v);
  return m.accept_bytes(text) && m.can_end();
}

TEST(EngineGrammar, EveryConstrainedOutputIsAValueOfItsSchemaAndTheOthersAreUntouched) {
  const RealVocabModel& rv = real_vocab_model();
  const grammar::GrammarPtr g = grammar::json_schema(call_schema());
  const std::vector<std::int32_t> eos = rv.model->config().eos_token_ids;
  const grammar::VocabularyPtr v =
      grammar::vocabulary_from_tokenizer(rv.tokenizer, eos, rv.model->config().vocab_size);

  std::vector<Job> mixed;
  const auto pairs = static_cast<std::uint32_t>(odma::testing::scaled(6, 2));
  for (std::uint32_t i = 0; i < pairs; ++i) {
    const std::vector<std::int32_t> prompt = random_prompt(10, i, 150000);
    mixed.push_back({prompt, constrained(i, g)});
    mixed.push_back({prompt, sampled(30, 100 + i)});
  }
  Engine e(rv.model, engine_config("odma", 8192, 512), rv.tokenizer);
  const std::vector<RequestOutput> got = run_all(e, mixed);
  // The same batches step for step, each constrained request replaced by a free one of its length:
  // the free requests beside them must sample the same tokens (the mask touches no shared logits).
  std::vector<Job> replaced = mixed;
  for (std::size_t i = 0; i < got.size(); i += 2) {
    replaced[i].params.grammar = nullptr;
    replaced[i].params.sampling.ignore_eos = true;
    replaced[i].params.forced_output_tokens = static_cast<std::int32_t>(got[i].output_ids.size());
  }
  Engine twin(rv.model, engine_config("odma", 8192, 512), rv.tokenizer);
  const std::vector<RequestOutput> want = run_all(twin, replaced);
  for (std::size_t i = 0; i < got.size(); i += 2) {
    const RequestOutput& c = got[i];
    SCOPED_TRACE("request " + std::to_string(c.id) + ": " + c.text);
    // Every field is bounded, so the grammar must end: only EOS is left, and it was sampled.
    ASSERT_EQ(c.finish, FinishReason::kEos) << c.error;
    EXPECT_TRUE(accepted_whole(g, v, c.text));
    const nlohmann::json value = nlohmann::json::parse(c.text);
    EXPECT_LE(value.at("city").get<std::string>().size(), 6u * 4);  // ≤ 6 code points
    EXPECT_GE(value.at("days").get<int>(), 1);
    EXPECT_LE(value.at("days").get<int>(), 14);
    EXPECT_TRUE(value.at("unit") == "celsius" || value.at("unit") == "fahrenheit");
    EXPECT_TRUE(value.at("alerts").is_boolean());
    EXPECT_EQ(value.size(), 4u);
    EXPECT_EQ(got[i + 1].output_ids, want[i + 1].output_ids);
    EXPECT_EQ(want[i].output_ids.size(), c.output_ids.size());
  }
  EXPECT_EQ(e.counters().failed, 0);
  EXPECT_EQ(e.policy().gauges().reserved, 0);
}

TEST(EngineGrammar, MaxTokensBeforeTheEndStopsByLengthWithAPrefixOfTheLanguage) {
  const RealVocabModel& rv = real_vocab_model();
  const grammar::GrammarPtr g = grammar::json_schema(call_schema());
  const grammar::VocabularyPtr v = grammar::vocabulary_from_tokenizer(
      rv.tokenizer, rv.model->config().eos_token_ids, rv.model->config().vocab_size);
  Engine e(rv.model, engine_config("paged", 8192, 512), rv.tokenizer);
  const RequestOutput out =
      run_all(e, {{random_prompt(10, 3, 150000), constrained(3, g, 4)}}).front();
  EXPECT_EQ(out.finish, FinishReason::kLength);
  EXPECT_EQ(out.output_ids.size(), 4u);
  grammar::Matcher m(g, v);
  EXPECT_TRUE(m.accept_bytes(out.text)) << out.text;
  EXPECT_FALSE(m.can_end()) << out.text;  // 4 tokens cannot hold the four fields
}

TEST(EngineGrammar, GreedyChoiceAndLogprobsAreTheModelsOwn) {
  const RealVocabModel& rv = real_vocab_model();
  const grammar::GrammarPtr g = grammar::choice({"yes", "no", "maybe"});
  RequestParams p = constrained(0, g, 8);
  p.sampling.temperature = 0.0f;
  p.logprobs = 3;
  RequestParams free = p;
  free.grammar = nullptr;
  free.sampling.max_tokens = 1;
  const std::vector<std::int32_t> prompt = random_prompt(10, 5, 150000);
  Engine e(rv.model, engine_config("odma", 8192, 512), rv.tokenizer);
  const std::vector<RequestOutput> out = run_all(e, {{prompt, p}, {prompt, free}});
  ASSERT_EQ(out[0].finish, FinishReason::kEos) << out[0].error;
  EXPECT_TRUE(out[0].text == "yes" || out[0].text == "no" || out[0].text == "maybe") << out[0].text;
  // Raw log-probabilities (vLLM's default): the first token's alternatives are those of the same
  // prompt unconstrained — the mask neither renormalises nor filters them.
  ASSERT_EQ(out[0].logprobs.size(), out[0].output_ids.size());
  ASSERT_EQ(out[1].logprobs.size(), 1u);
  // Same ids, same values up to F32 rounding: the two requests share a batch, and an F32
  // OpenBLAS GEMM may round a row differently by its position in the batch (up to ~4e-6 here).
  const auto& constrained_top = out[0].logprobs[0].top;
  const auto& free_top = out[1].logprobs[0].top;
  ASSERT_EQ(constrained_top.size(), free_top.size());
  for (std::size_t i = 0; i < free_top.size(); ++i) {
    EXPECT_EQ(constrained_top[i].id, free_top[i].id) << i;
    EXPECT_NEAR(constrained_top[i].logprob, free_top[i].logprob, 1e-4) << i;
  }
  EXPECT_NE(out[0].output_ids[0], out[1].output_ids[0]);  // a random model does not say "yes"
}

TEST(EngineGrammar, RequestsThatCannotBeConstrainedAreRefusedAtSubmit) {
  const RealVocabModel& rv = real_vocab_model();
  const grammar::GrammarPtr g = grammar::any_json_object();
  Engine no_tokenizer(rv.model, engine_config("odma", 8192, 512));
  EXPECT_THROW((void)no_tokenizer.submit(random_prompt(4, 1, 150000), constrained(1, g)), Error);
  Engine e(rv.model, engine_config("odma", 8192, 512), rv.tokenizer);
  RequestParams p = constrained(1, g);
  p.sampling.ignore_eos = true;
  EXPECT_THROW((void)e.submit(random_prompt(4, 1, 150000), p), Error);
  EXPECT_TRUE(e.idle());
}

}  // namespace
}  // namespace odma::serve
