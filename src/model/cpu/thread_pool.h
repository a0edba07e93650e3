// A tiny fork-join pool for the forward pass: parallel_for(n, fn) runs fn(0..n-1) on the pool's
// threads plus the caller and returns when all are done. Tasks are claimed with an atomic counter,
// so uneven tasks (long and short contexts in one batch) balance themselves. Idle workers spin for
// ~50 µs before sleeping, so the dozens of joins in one decode step do not each pay a futex wake.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace odma::model::cpu {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // total threads including the caller; <= 1 runs inline
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void parallel_for(int n, const std::function<void(int)>& fn);
  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Process-wide pool sized to the hardware (or $ODMA_THREADS).
  static ThreadPool& shared();

 private:
  void worker_loop();
  void run_tasks();
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_, done_;
  const std::function<void(int)>* fn_ = nullptr;
  int n_ = 0;
  std::atomic<int> next_{0};
  std::atomic<int> active_{0};                // workers still inside the current job
  std::atomic<std::uint64_t> generation_{0};  // bumped once per job
  std::atomic<bool> stop_{false};
};

}  // namespace odma::model::cpu
