// What a server learns outlives it: --predictor-state saves the online predictor at drain and
// restores it at the next start (refusing, with the file's name, a corrupt state or one learnt
// serving another model), and --request-log writes every finished request in the trace format,
// which `odma predictor train --trace` fits a predictor to.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "base/file_io.h"
#include "predict/model_file.h"
#include "server/http_test_util.h"
#include "workload/trace.h"

namespace odma::server::testing {
namespace {

std::vector<std::string> args(const std::string& state, const std::vector<std::string>& more = {}) {
  std::vector<std::string> a = {"--model", model_path("stories260K-hf"), "--kv-memory",
                                "64MiB",   "--predictor-state",          state};
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

// Runs `odma serve` to its exit (it fails at start); its exit code and what it printed.
std::string failed_start(const std::vector<std::string>& a, int& code) {
  std::string cmd = std::string(ODMA_BINARY) + " serve --port 0";
  for (const std::string& s : a) cmd += " '" + s + "'";
  return run_command(cmd + " 2>&1", code);
}

TEST(PredictorStateHttp, TheLearntPredictorAndTheRequestLogOutliveTheServer) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "odma_state";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string state = (dir / "predictor.odmp").string();
  const std::string log = (dir / "requests.jsonl").string();

  ServerProcess first(args(state, {"--request-log", log}));
  ASSERT_TRUE(first.ok()) << first.log();
  auto c = first.client();
  for (int i = 0; i < 12; ++i) {
    const Reply r = post(c, "/v1/completions",
                         {{"prompt", "Once upon a time " + std::to_string(i)},
                          {"max_tokens", 8 + i},
                          {"ignore_eos", true},
                          {"temperature", 0}});
    ASSERT_EQ(r.status, 200) << r.raw;
  }
  EXPECT_FALSE(std::filesystem::exists(state));  // saved at drain (the interval is 5 minutes)
  EXPECT_EQ(first.terminate(), 0) << first.log();
  EXPECT_NE(first.log().find("predictor state saved"), std::string::npos) << first.log();

  const predict::PredictorModel saved = predict::load_model(state);
  EXPECT_EQ(saved.provenance.dataset, "served:stories260K-hf");
  const workload::Trace trace = workload::read_trace(log);
  ASSERT_EQ(trace.requests.size(), 12u);
  std::set<std::int32_t> lengths;
  for (const workload::TraceRequest& r : trace.requests) {
    EXPECT_NE(r.prompt.find("Once upon a time"), std::string::npos);
    lengths.insert(r.output_tokens);
  }
  EXPECT_EQ(lengths.size(), 12u);  // 8 .. 19 tokens, one each
  EXPECT_EQ(*lengths.begin(), 8);

  // The next start restores it.
  ServerProcess second(args(state));
  ASSERT_TRUE(second.ok()) << second.log();
  EXPECT_NE(second.log().find("restored"), std::string::npos) << second.log();
  EXPECT_EQ(second.terminate(), 0) << second.log();

  // Learnt serving another model, or corrupt: refused, naming the file.
  int code = 0;
  std::string out = failed_start(args(state, {"--served-model-name", "other"}), code);
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find(state), std::string::npos) << out;
  EXPECT_NE(out.find("'other'"), std::string::npos) << out;
  const std::string bytes = read_file(state);
  write_file(state, bytes.substr(0, bytes.size() / 2));
  out = failed_start(args(state), code);
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find(state), std::string::npos) << out;
  EXPECT_NE(out.find("truncated"), std::string::npos) << out;

  // The log trains a predictor.
  out = run_command(std::string(ODMA_BINARY) + " predictor train --trace " + log + " --out " +
                        (dir / "fitted.odmp").string() + " 2>&1",
                    code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(predict::load_model(dir / "fitted.odmp").provenance.dataset, "trace:requests");
}

}  // namespace
}  // namespace odma::server::testing
