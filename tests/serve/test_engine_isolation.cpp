// A failure that belongs to one request ends that request alone: the others, the engine and the
// KV arena go on. And a padded vocabulary (Qwen2 checkpoints carry 151,936 embedding rows for a
// tokenizer of 151,665 ids) is no failure at all: an id the tokenizer lacks decodes to no text.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "base/error.h"
#include "model/random_model.h"
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
using testing::tiny_random_model;

TEST(EngineIsolation, AThrowInOneRequestsPostProcessingFailsThatRequestAlone) {
  std::vector<Job> jobs;
  for (std::uint32_t i = 0; i < 6; ++i) jobs.push_back({random_prompt(12, i), sampled(40, i)});
  Engine clean(tiny_random_model(), engine_config("odma", 2048, 128));
  const std::vector<RequestOutput> want = run_all(clean, jobs);

  for (const char* policy : {"odma", "paged", "static"}) {
    SCOPED_TRACE(policy);
    EngineConfig c = engine_config(policy, 2048, 128);
    const RequestId faulty = 3;  // ids are handed out from 1 in submission order
    int seen = 0;
    c.on_token = [&](RequestId id, std::int32_t) {
      if (id == faulty && ++seen == 5) throw std::runtime_error("injected fault");
    };
    Engine e(tiny_random_model(), c);
    const std::vector<RequestOutput> got = run_all(e, jobs);
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      SCOPED_TRACE("request " + std::to_string(got[i].id));
      if (got[i].id == faulty) {
        EXPECT_EQ(got[i].finish, FinishReason::kError);
        EXPECT_NE(got[i].error.find("injected fault"), std::string::npos) << got[i].error;
        EXPECT_EQ(got[i].output_ids.size(), 4u);  // the fifth token never became output
        EXPECT_EQ(got[i].output_ids, std::vector<std::int32_t>(want[i].output_ids.begin(),
                                                               want[i].output_ids.begin() + 4));
      } else {
        EXPECT_EQ(got[i].finish, want[i].finish);
        EXPECT_EQ(got[i].output_ids, want[i].output_ids);  // untouched by its neighbour's failure
      }
    }
    EXPECT_EQ(e.counters().failed, 1);
    EXPECT_EQ(e.counters().completed, 5);
    EXPECT_EQ(e.policy().gauges().reserved, 0);  // the failed request's KV came back
    EXPECT_EQ(e.policy().validate(), "");
  }
}

// Samples `jobs` at temperature 1 on `m` with `tok`; every request must end by length with the
// text its known ids decode to. Returns how many sampled ids the tokenizer lacks.
std::int64_t sample_padded(std::shared_ptr<const model::Transformer> m, tokenizer::Tokenizer tok,
                           int requests, int tokens, int prompt_vocab) {
  Engine e(m, engine_config("odma", 8 * 1024, 1024), tok);
  std::vector<Job> jobs;
  for (int i = 0; i < requests; ++i) {
    const auto seed = static_cast<std::uint32_t>(i);
    jobs.push_back({random_prompt(8, seed, prompt_vocab), sampled(tokens, seed)});
  }
  const std::vector<RequestOutput> out = run_all(e, jobs);
  auto in_tokenizer = [&](std::int32_t id) {
    try {
      (void)tok.decode(std::vector<std::int32_t>{id});
      return true;
    } catch (const Error&) {
      return false;
    }
  };
  std::int64_t padded = 0;
  for (const RequestOutput& o : out) {
    EXPECT_EQ(o.finish, FinishReason::kLength) << o.error;
    EXPECT_EQ(o.output_ids.size(), static_cast<std::size_t>(tokens));
    std::vector<std::int32_t> known;  // the text is what the known ids decode to
    for (std::int32_t id : o.output_ids) {
      if (in_tokenizer(id)) {
        known.push_back(id);
      } else {
        ++padded;
      }
    }
    EXPECT_EQ(o.text, tok.decode(known, /*skip_special=*/true));
  }
  EXPECT_EQ(e.counters().failed, 0);
  EXPECT_EQ(e.policy().gauges().reserved, 0);
  return padded;
}

// qwen2-tiny's 1,024-id tokenizer under a model with 512 padding rows: a third of the sampled ids
// are padding, so thousands of tokens put every path through it.
TEST(EngineIsolation, PaddingIdsDecodeToNoTextAndFailNothing) {
  model::ModelConfig c = model::preset_config("tiny");
  c.vocab_size = 1536;
  auto m = std::make_shared<const model::Transformer>(c, model::random_weights(c, 7));
  const tokenizer::Tokenizer tok = tokenizer::Tokenizer::load(testing::model_dir("qwen2-tiny"));
  const int tokens = static_cast<int>(odma::testing::scaled(1000, 200));
  EXPECT_GT(sample_padded(m, tok, 4, tokens, 1000), tokens / 4);
}

// The real shape: Qwen2's 151,936-row vocabulary with the full Qwen2 tokenizer (151,665 ids).
// Random logits reach the 271 padding ids about once in 560 tokens; zero failures is the claim.
TEST(EngineIsolation, RealQwen2PaddedVocabularyFailsNothing) {
  const testing::RealVocabModel rv = testing::real_vocab_model(7);
  (void)sample_padded(rv.model, rv.tokenizer, 2, static_cast<int>(odma::testing::scaled(300, 30)),
                      150000);
}

}  // namespace
}  // namespace odma::serve
