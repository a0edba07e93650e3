// A load test through `odma loadgen` (the real binary, as a user runs it) against `odma serve`
// with qwen2-tiny: 1,000 Alpaca requests at a saturating rate, streamed; zero failures, every KV
// slot free afterwards, and resident memory flat after a warm-up.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "base/file_io.h"
#include "server/http_test_util.h"
#include "test_scale.h"

namespace odma::server::testing {
namespace {

nlohmann::json loadgen(const ServerProcess& s, std::int64_t prompts, const std::string& json,
                       const std::string& endpoint = "/v1/completions") {
  std::filesystem::remove(json);  // never read a previous run's results
  int code = 0;
  const std::string out = run_command(
      std::string(ODMA_BINARY) + " loadgen --base-url " + s.base_url() + " --endpoint " + endpoint +
          " --dataset alpaca --num-prompts " + std::to_string(prompts) +
          " --request-rate inf --max-concurrency 64 --output-len 32 --ignore-eos --json " + json +
          " 2>&1",
      code);
  EXPECT_EQ(code, 0) << out;
  return nlohmann::json::parse(read_file(json), nullptr, false);
}

TEST(Load, ThousandStreamedRequestsWithoutFailureLeakOrGrowth) {
  // glibc makes a new malloc arena whenever threads contend for one, so on a loaded machine
  // (ctest -j2 beside other servers) the 64 connection threads' arenas kept appearing after the
  // warm-up (+29.9 MiB in one run under ctest -j2; the test passes alone). Two arenas make the
  // figure measure what the server keeps, not how busy the machine was; the server inherits this
  // from the test process.
  setenv("MALLOC_ARENA_MAX", "2", 1);
  ServerProcess s(
      {"--model", model_path("qwen2-tiny"), "--kv-memory", "16MiB", "--max-waiting", "2048"});
  ASSERT_TRUE(s.ok()) << s.log();
  const std::int64_t n = odma::testing::scaled(1000, 60);
  const std::string dir = ::testing::TempDir();
  // The warm-up reaches the full concurrency (64), so that every connection thread, with its
  // per-thread caches (the tokenizer's word cache, the allocator's), exists before the baseline.
  const std::int64_t warm_n = std::max<std::int64_t>(n / 5, 64);
  const nlohmann::json warm = loadgen(s, warm_n, dir + "odma_load_warm.json");
  ASSERT_TRUE(warm.is_object());
  EXPECT_EQ(warm["failed"], 0) << warm["errors"].dump();
  const long rss_warm = s.resident_kb();
  const nlohmann::json r = loadgen(s, n, dir + "odma_load.json");
  ASSERT_TRUE(r.is_object());
  const long rss_after = s.resident_kb();
  EXPECT_EQ(r["completed"], n);
  EXPECT_EQ(r["failed"], 0) << r["errors"].dump();
  EXPECT_EQ(r["total_output_tokens"], 32 * n);  // ignore_eos: exactly max_tokens each
  for (const char* field : {"duration", "request_throughput", "output_throughput",
                            "total_token_throughput", "mean_ttft_ms", "median_ttft_ms",
                            "p99_ttft_ms", "mean_tpot_ms", "p90_itl_ms", "std_e2el_ms"})
    EXPECT_TRUE(r.contains(field)) << field;
  auto c = s.client();
  EXPECT_EQ(wait_kv_free(c, 2.0), 0);
  const Reply m = get(c, "/metrics");
  // The server's own counts agree with the load generator's.
  EXPECT_EQ(metric(m.raw, "odma:request_success_total", {"finished_reason=\"length\""}),
            static_cast<double>(n + warm_n));
  EXPECT_EQ(metric(m.raw, "odma:generation_tokens_total"), static_cast<double>(32 * (n + warm_n)));
  // Resident memory after the warm-up may grow only by allocator noise (stated bound: 24 MiB).
  // The sanitizer job (ODMA_TEST_SCALE < 1) runs 100 requests, too few to pass the warm-up of
  // ASan's allocator (measured +30-55 MiB in clang's over 100 requests after 64 or 200 warm-up
  // requests): there the bound is 96 MiB, and the soak (scripts/soak.py) watches minutes, not
  // seconds.
  // Plus the KV arena (16 MiB): its pages are committed when first written, and with prefix
  // caching finished requests keep their slots, so new ones reach further into the arena.
  const long bound_kb = ((odma::testing::test_scale() < 1 ? 96 : 24) + 16) * 1024;
  EXPECT_LT(rss_after - rss_warm, bound_kb) << rss_warm << " kB -> " << rss_after << " kB";
  EXPECT_EQ(s.terminate(), 0) << s.log();
}

}  // namespace
}  // namespace odma::server::testing
