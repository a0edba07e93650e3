// A caller-provided KV arena (what `odma bench` shares between policies): checked against the
// model and the budget, and reusing one arena after another engine changes no token.
#include <gtest/gtest.h>

#include "base/error.h"
#include "serve_test_util.h"

namespace odma::serve {
namespace {

using testing::engine_config;
using testing::greedy;
using testing::random_prompt;
using testing::tiny_random_model;

std::vector<testing::Job> jobs() {
  std::vector<testing::Job> j;
  for (int i = 0; i < 5; ++i) j.push_back({random_prompt(4 + 3 * i, 100 + i), greedy(9 + 4 * i)});
  return j;
}

TEST(EngineArena, SharedArenaGivesTheSameTokensAsAFreshOneUnderEveryPolicy) {
  const auto m = tiny_random_model();
  std::shared_ptr<model::KvStorage> arena = m->make_storage(512);
  for (const std::string& policy : kv::policy_names()) {
    Engine fresh(m, engine_config(policy, 256, 128));
    const auto want = testing::run_all(fresh, jobs());
    EngineConfig c = engine_config(policy, 256, 128);
    c.arena = arena;  // dirty from the previous policy's run: K/V must be written before read
    Engine shared(m, c);
    const auto got = testing::run_all(shared, jobs());
    for (std::size_t i = 0; i < want.size(); ++i)
      EXPECT_EQ(got[i].output_ids, want[i].output_ids) << policy << " job " << i;
  }
}

TEST(EngineArena, RejectsAnArenaOfTheWrongShapeOrTooSmall) {
  const auto m = tiny_random_model();
  const model::ModelConfig& mc = m->config();
  EngineConfig c = engine_config("odma", 256, 128);
  c.arena =
      std::make_shared<model::KvStorage>(mc.num_layers + 1, mc.num_kv_heads, mc.head_dim, 512);
  EXPECT_THROW(Engine(m, c), Error);
  c.arena = m->make_storage(255);
  try {
    Engine e(m, c);
    FAIL() << "a 255-slot arena accepted for a 256-slot budget";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("fewer than the budget"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace odma::serve
