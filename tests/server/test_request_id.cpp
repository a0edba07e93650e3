// Response ids: vLLM's form, unique across threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "server/request_id.h"

namespace odma::server {
namespace {

// `id` is `prefix` followed by 32 lowercase hex digits.
bool has_form(const std::string& id, const std::string& prefix) {
  if (id.size() != prefix.size() + 32 || id.compare(0, prefix.size(), prefix) != 0) return false;
  return std::all_of(id.begin() + static_cast<std::ptrdiff_t>(prefix.size()), id.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

TEST(RequestId, ChatIdIsChatcmplAnd32HexDigits) {
  EXPECT_TRUE(has_form(chat_completion_id(), "chatcmpl-"));
}

TEST(RequestId, CompletionIdIsCmplAnd32HexDigits) {
  EXPECT_TRUE(has_form(completion_id(), "cmpl-"));
}

TEST(RequestId, TheFormCheckRejectsOtherForms) {
  EXPECT_FALSE(has_form("cmpl-0123456789abcdef0123456789abcde", "cmpl-"));   // 31 digits
  EXPECT_FALSE(has_form("cmpl-0123456789abcdef0123456789abcdeF", "cmpl-"));  // upper case
  EXPECT_FALSE(has_form("chatcmpl-0123456789abcdef0123456789abcdef", "cmpl-"));
}

TEST(RequestId, ConsecutiveIdsDiffer) {
  EXPECT_NE(completion_id(), completion_id());
}

TEST(RequestId, IdsMadeOnManyThreadsAreAllDistinct) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  std::vector<std::vector<std::string>> made(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&made, t] {
      for (int i = 0; i < kPerThread; ++i) made[t].push_back(chat_completion_id());
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& ids : made) all.insert(ids.begin(), ids.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace odma::server
