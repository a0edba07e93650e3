// Exact greedy reproduction of the shipped reference models (the engine's correctness oracles).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model_test_util.h"

namespace odma::model {
namespace {

using testing::greedy;
using testing::model_dir;

TEST(ForwardReference, Stories260KGreedyFromBosMatchesAll256Ids) {
  auto dir = model_dir("stories260K-hf");
  auto ref = nlohmann::json::parse(read_file(dir / "reference.json"));
  const auto want = ref["greedy_ids_after_bos"].get<std::vector<std::int32_t>>();
  ASSERT_EQ(want.size(), 256u);
  auto m = Transformer::load(dir);  // an F32 checkpoint: F32 weights and K/V by default
  EXPECT_EQ(m->weights().dtype(), DType::kF32);
  EXPECT_EQ(m->config().rope_theta, 10000.0);
  EXPECT_FLOAT_EQ(static_cast<float>(m->config().rms_norm_eps), 1e-5f);
  auto st = m->make_storage(256);
  auto got =
      greedy(*m, *st, SeqKv::contiguous({{0, 256}}), {ref["bos_id"].get<std::int32_t>()}, 256);
  EXPECT_EQ(got, want);
}

TEST(ForwardReference, Qwen2TinyGreedyContinuationsMatchEveryCase) {
  auto dir = model_dir("qwen2-tiny");
  auto ref = nlohmann::json::parse(read_file(dir / "reference.json"));
  auto m = Transformer::load(dir, {DType::kF32});  // the references are F32 results
  EXPECT_EQ(m->make_storage(1)->dtype(), DType::kF32);
  EXPECT_TRUE(m->config().attention_bias);
  EXPECT_TRUE(m->config().tie_word_embeddings);
  EXPECT_EQ(m->config().group_size(), 2);
  ASSERT_EQ(ref["cases"].size(), 4u);
  for (const auto& c : ref["cases"]) {
    const auto prompt = c["prompt_ids"].get<std::vector<std::int32_t>>();
    const auto want = c["greedy_ids"].get<std::vector<std::int32_t>>();
    auto st = m->make_storage(128);
    auto got =
        greedy(*m, *st, SeqKv::contiguous({{16, 112}}), prompt, static_cast<int>(want.size()));
    EXPECT_EQ(got, want) << "prompt of " << prompt.size() << " tokens";
  }
}

}  // namespace
}  // namespace odma::model
