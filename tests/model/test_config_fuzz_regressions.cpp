// Inputs fuzz/fuzz_model_config.cpp found (minimised), kept as regression tests.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "model/config.h"

namespace odma::model {
namespace {

// A string field holding another type must be an odma::Error naming the file and the field; it
// escaped as nlohmann's type_error 302 ("type must be string, but is number") from
// j.value(key, default) for model_type, hidden_act and torch_dtype. Found by fuzz_model_config
// in its first seconds.
TEST(ModelConfigFuzz, AStringFieldOfTheWrongTypeNamesTheField) {
  const std::string base =
      R"("hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
         "intermediate_size": 176, "vocab_size": 1024)";
  for (const auto& [json, field] :
       {std::pair<std::string, std::string>{R"({"model_type": 10000.0})", "model_type"},
        {R"({"model_type": "llama", "hidden_act": 1, )" + base + "}", "hidden_act"},
        {R"({"model_type": "llama", "torch_dtype": [], )" + base + "}", "torch_dtype"}}) {
    try {
      (void)parse_model_config(json, "config.json");
      ADD_FAILURE() << "accepted " << json;
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("config.json"), std::string::npos) << what;
      EXPECT_NE(what.find(field), std::string::npos) << what;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not an odma::Error for " << field << ": " << e.what();
    }
  }
}

// A token id past int32 was cast to a negative id (3468620001 became -826347295), which the
// config's own writer then emitted and its parser refused (found by fuzz_model_config's
// round-trip property). Ids must fit int32, and saying so names the field.
TEST(ModelConfigFuzz, ATokenIdPastInt32IsAnErrorNamingTheField) {
  const std::string base =
      R"({"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2,
          "num_attention_heads": 4, "intermediate_size": 176, "vocab_size": 1024, )";
  EXPECT_NO_THROW((void)parse_model_config(base + R"("eos_token_id": 2147483647})", "c.json"));
  for (const std::string ids : {"3468620001", "[2, 2147483648]", "-1"}) {
    try {
      (void)parse_model_config(base + R"("eos_token_id": )" + ids + "}", "c.json");
      ADD_FAILURE() << "accepted eos_token_id " << ids;
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("c.json"), std::string::npos) << what;
      EXPECT_NE(what.find("eos_token_id"), std::string::npos) << what;
    }
  }
}

// generation_config.json applied its eos_token_id, then threw on bos_token_id: -1, leaving the
// config half-changed (found by fuzz_model_config's no-partial-state property).
TEST(ModelConfigFuzz, ARejectedGenerationConfigLeavesTheConfigUnchanged) {
  ModelConfig c = parse_model_config(
      R"({"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2,
          "num_attention_heads": 4, "intermediate_size": 176, "vocab_size": 1024,
          "bos_token_id": 1022, "eos_token_id": 1023})",
      "config.json");
  EXPECT_THROW(apply_generation_config(c, R"({"bos_token_id": -1, "eos_token_id": [2, 3]})",
                                       "generation_config.json"),
               Error);
  EXPECT_EQ(c.bos_token_id, 1022);
  EXPECT_EQ(c.eos_token_ids, std::vector<std::int32_t>{1023});
  apply_generation_config(c, R"({"bos_token_id": 1, "eos_token_id": [2, 3]})", "g.json");
  EXPECT_EQ(c.bos_token_id, 1);
  EXPECT_EQ(c.eos_token_ids, (std::vector<std::int32_t>{2, 3}));
}

}  // namespace
}  // namespace odma::model
