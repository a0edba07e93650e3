// ThreadPool: every index runs exactly once per job, across many back-to-back jobs (the spin-then-
// sleep hand-off), after idle gaps long enough for the workers to fall asleep, and inline when the
// pool has a single thread.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "model/cpu/thread_pool.h"

namespace odma::model::cpu {
namespace {

void expect_each_index_once(ThreadPool& pool, int n) {
  std::vector<std::atomic<int>> hits(static_cast<std::size_t>(n));
  pool.parallel_for(n, [&](int i) { hits[static_cast<std::size_t>(i)].fetch_add(1); });
  for (int i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<std::size_t>(i)].load(), 1) << i;
}

TEST(ThreadPool, RunsEveryIndexOnceAcrossManyBackToBackJobs) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.threads(), threads);
    for (int job = 0; job < 2000; ++job) expect_each_index_once(pool, 1 + job % 37);
  }
}

TEST(ThreadPool, WakesWorkersThatFellAsleep) {
  ThreadPool pool(3);
  for (int round = 0; round < 3; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // far past the spin window
    expect_each_index_once(pool, 64);
  }
}

TEST(ThreadPool, EmptyJobsReturnAtOnceAndDestructionJoins) {
  auto pool = std::make_unique<ThreadPool>(2);
  int calls = 0;
  pool->parallel_for(0, [&](int) { ++calls; });
  pool->parallel_for(-3, [&](int) { ++calls; });
  EXPECT_EQ(calls, 0);
  pool.reset();  // must not hang with workers spinning or asleep
}

}  // namespace
}  // namespace odma::model::cpu
