// Resource exhaustion (docs/reliability.md): a request the KV budget can never hold fails alone,
// with an error that says so; a connection flood beyond the cap is refused while the engine keeps
// streaming; /health answers within 100 ms while the engine and its queue are full.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include "server/http_test_util.h"

namespace odma::server::testing {
namespace {

using Clock = std::chrono::steady_clock;

nlohmann::json request(int tokens) {
  return {{"prompt", {1, 2, 3}}, {"max_tokens", tokens}, {"ignore_eos", true}};
}

int connect_to(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// A stream whose events are timed: the longest pause between two reads that brought events.
struct TimedStream {
  Stream stream;
  double longest_gap_s = 0;
};

TimedStream timed_stream(httplib::Client& c, const nlohmann::json& body) {
  TimedStream t;
  std::optional<Clock::time_point> last;
  t.stream = stream(c, "/v1/completions", body, [&] {
    const Clock::time_point now = Clock::now();
    if (last)
      t.longest_gap_s =
          std::max(t.longest_gap_s, std::chrono::duration<double>(now - *last).count());
    last = now;
  });
  return t;
}

// qwen2-tiny (BF16, so BF16 KV) holds 256 B of K/V a token: 32 KiB = 128 slots. A request that
// must grow past them fails — only it, with the policy's reason — while small ones beside it are
// served, and every slot is free afterwards.
TEST(Exhaustion, KvBudgetTooSmallForARequestFailsItAloneWithAClearError) {
  ServerProcess s(
      {"--model", model_path("qwen2-tiny"), "--kv-memory", "32KiB", "--max-model-len", "512"});
  ASSERT_TRUE(s.ok()) << s.log();
  Reply big;
  std::thread too_big([&] {
    auto c = s.client();
    big = post(c, "/v1/completions", request(400));
  });
  std::atomic<int> served{0};
  std::vector<std::thread> small;
  for (int i = 0; i < 4; ++i) {
    small.emplace_back([&] {
      auto c = s.client();
      const Reply r = post(c, "/v1/completions", request(16));
      if (r.status == 200 && r.body["usage"]["completion_tokens"] == 16) ++served;
    });
  }
  too_big.join();
  for (auto& t : small) t.join();
  EXPECT_EQ(served.load(), 4);
  EXPECT_EQ(big.status, 503) << big.raw;
  EXPECT_NE(big.raw.find("cannot fit this request in the arena of 128 slots"), std::string::npos)
      << big.raw;
  auto c = s.client();
  EXPECT_EQ(post(c, "/v1/completions", request(8)).status, 200);  // still serving
  EXPECT_EQ(wait_kv_free(c, 2.0), 0);
  EXPECT_EQ(s.terminate(), 0) << s.log();
}

// Four connection threads, no backlog: one streams a long answer, three sit idle, and then 64
// more connections arrive at once. Every one of them is refused (503) quickly, and the stream
// goes on without a pause the flood caused (the engine thread is never blocked by connections).
// The answer is long enough (4,000 tokens) to outlast the flood: once it ends, its connection
// thread is free and the next connection is served, as it should be.
TEST(Exhaustion, ConnectionFloodIsRefusedWhileTheEngineKeepsStreaming) {
  ServerProcess s({"--model", model_path("qwen2-tiny"), "--kv-memory", "16MiB", "--max-connections",
                   "4", "--connection-backlog", "0", "--read-timeout", "10"});
  ASSERT_TRUE(s.ok()) << s.log();
  constexpr int kStreamed = 4000;  // of the 4,096-token context
  TimedStream streamed;
  Clock::time_point stream_end;
  std::thread streaming([&] {
    auto c = s.client();
    nlohmann::json body = request(kStreamed);
    body["stream_options"] = {{"include_usage", true}};
    streamed = timed_stream(c, body);
    stream_end = Clock::now();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::vector<int> idle;
  for (int i = 0; i < 3; ++i) idle.push_back(connect_to(s.port()));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::atomic<int> refused{0}, slow{0};
  std::vector<int> statuses(64);
  std::vector<std::thread> flood;
  for (int i = 0; i < 64; ++i) {
    flood.emplace_back([&, i] {
      auto c = s.client();
      const auto t0 = Clock::now();
      const Reply r = get(c, "/health");
      statuses[static_cast<std::size_t>(i)] = r.status;
      if (r.status == 503) ++refused;
      if (Clock::now() - t0 > std::chrono::milliseconds(1000)) ++slow;
    });
  }
  for (auto& t : flood) t.join();
  const Clock::time_point flood_end = Clock::now();
  std::string seen;
  for (int st : statuses) seen += std::to_string(st) + " ";
  streaming.join();
  for (int fd : idle) close(fd);
  ASSERT_GT(stream_end, flood_end) << "the stream ended before the flood did: make it longer; "
                                   << streamed.stream.status << " " << s.log();
  EXPECT_EQ(refused.load(), 64) << "statuses: " << seen;
  EXPECT_EQ(slow.load(), 0);
  EXPECT_EQ(streamed.stream.status, 200);
  EXPECT_TRUE(streamed.stream.done);
  ASSERT_FALSE(streamed.stream.events.empty());
  EXPECT_EQ(streamed.stream.events.back()["usage"]["completion_tokens"], kStreamed);
  EXPECT_LT(streamed.longest_gap_s, 1.0);
  auto c = s.client();
  EXPECT_EQ(wait_kv_free(c, 2.0), 0);
  EXPECT_EQ(s.terminate(), 0) << s.log();
}

// Full load: max-num-seqs running, the queue at its bound, more arriving (and refused with 429).
// /health never waits for the engine: every probe answers 200 within 100 ms.
TEST(Exhaustion, HealthAnswersWithin100MsUnderFullLoad) {
  ServerProcess s({"--model", model_path("qwen2-tiny"), "--kv-memory", "16MiB", "--max-num-seqs",
                   "4", "--max-waiting", "8"});
  ASSERT_TRUE(s.ok()) << s.log();
  std::atomic<bool> stop{false};
  std::atomic<int> requests{0};
  std::vector<std::thread> load;
  for (int i = 0; i < 16; ++i) {
    load.emplace_back([&] {
      auto c = s.client();
      while (!stop) {
        (void)post(c, "/v1/completions", request(64));
        ++requests;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto probe = s.client();
  double worst_ms = 0;
  int ok = 0, full = 0;
  for (int i = 0; i < 30; ++i) {
    const auto m = get(probe, "/metrics");
    if (metric(m.raw, "odma:num_requests_running") == 4) ++full;
    const auto t0 = Clock::now();
    ok += get(probe, "/health").status == 200;
    worst_ms =
        std::max(worst_ms, std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop = true;
  for (auto& t : load) t.join();
  EXPECT_EQ(ok, 30);
  EXPECT_GE(full, 20) << "the engine was not at max-num-seqs for most probes";
  EXPECT_LT(worst_ms, 100.0);
  EXPECT_GT(requests.load(), 16);
  EXPECT_EQ(wait_kv_free(probe, 2.0), 0);
  EXPECT_EQ(s.terminate(), 0) << s.log();
}

}  // namespace
}  // namespace odma::server::testing
