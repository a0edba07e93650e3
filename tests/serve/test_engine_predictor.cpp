// The engine's predictor seam: requests without a prediction are predicted at their first
// admission, every request the model finishes is observed with its real length, and the greedy
// tokens never depend on the prediction (it sizes KV only).
#include <gtest/gtest.h>

#include "predict/predictor.h"
#include "serve_test_util.h"
#include "tokenizer/tokenizer.h"

namespace odma::serve {
namespace {

using testing::engine_config;
using testing::greedy;
using testing::model_dir;
using testing::shipped_model;

std::shared_ptr<predict::Predictor> bundled_at(double q) {
  auto p = std::make_shared<predict::Predictor>(predict::Predictor::bundled());
  p->set_coverage(q);
  return p;
}

TEST(EnginePredictor, PredictsAtAdmissionAndLearnsFromEveryFinishedRequest) {
  const auto tok = tokenizer::Tokenizer::load(model_dir("stories260K-hf"));
  EngineConfig c = engine_config("odma", 2048, 512);
  c.predictor = bundled_at(0.5);
  Engine e(shipped_model("stories260K-hf"), c, tok);
  const std::string text = "Once upon a time, there was a little dog";
  RequestParams p = greedy(40);
  p.prompt_text = text;
  const RequestId a = e.submit(tok.encode(text, true), p);
  EXPECT_EQ(e.output(a).predicted_output_tokens, -1);  // not yet admitted: not yet predicted
  const RequestId b = e.submit(tok.encode("Lily liked to", true), greedy(30));  // text decoded
  RequestParams given = greedy(20);
  given.prediction =
      kv::LengthPrediction{7, 0.1, -1, nullptr, 0.0};  // came with its own: not re-predicted
  const RequestId g = e.submit(tok.encode("The sun", true), given);
  const RequestId cancelled = e.submit(tok.encode("A bird", true), greedy(50));
  (void)e.step();
  const std::int32_t predicted = e.output(a).predicted_output_tokens;
  EXPECT_GE(predicted, 1);
  EXPECT_LE(predicted, 40);
  EXPECT_GE(e.output(b).predicted_output_tokens, 1);
  EXPECT_EQ(e.output(g).predicted_output_tokens, 7);
  ASSERT_TRUE(e.cancel(cancelled));
  while (!e.idle()) (void)e.step();
  // a, b and g finished (length): observed; the cancelled one was not.
  EXPECT_EQ(e.predictor()->observations(), 3);
  EXPECT_EQ(e.policy().validate(), "");
}

TEST(EnginePredictor, PredictionsSizeKvButNeverChangeTokens) {
  const auto tok = tokenizer::Tokenizer::load(model_dir("stories260K-hf"));
  const std::vector<std::int32_t> prompt = tok.encode("Once upon a time", true);
  std::vector<std::vector<std::int32_t>> outputs;
  for (double q : {0.05, 0.5, 0.95}) {
    EngineConfig c = engine_config("odma", 2048, 512);
    c.predictor = bundled_at(q);
    Engine e(shipped_model("stories260K-hf"), c, tok);
    const RequestId id = e.submit(prompt, greedy(120));
    while (!e.idle()) (void)e.step();
    outputs.push_back(e.output(id).output_ids);
  }
  EXPECT_EQ(outputs[0], outputs[1]);
  EXPECT_EQ(outputs[1], outputs[2]);
}

}  // namespace
}  // namespace odma::serve
