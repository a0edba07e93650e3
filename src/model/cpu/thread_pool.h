// A tiny fork-join pool for the forward pass: parallel_for(n, fn) runs fn(0..n-1) on the pool's
// threads plus the caller and returns when all are done. Tasks are claimed with an atomic counter,
// so uneven tasks (long and short contexts in one batch) balance themselves. Idle workers spin for
// ~50 µs before sleeping, so the dozens of joins in one decode step do not each pay a futex wake.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace odma::model::cpu {

// A non-owning reference to a callable void(int), valid for one parallel_for call. Unlike a
// std::function it never allocates (a task lambda capturing a step's locals by reference
// outgrows std::function's small buffer), so a forward step's joins cost no heap traffic.
class TaskFn {
 public:
  template <class F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, TaskFn>)
      TaskFn(F&& fn)  // NOLINT(google-explicit-constructor): binds a lambda at the call site
      : obj_(const_cast<void*>(static_cast<const void*>(std::addressof(fn)))),
        call_([](void* obj, int i) { (*static_cast<std::remove_reference_t<F>*>(obj))(i); }) {}
  void operator()(int i) const { call_(obj_, i); }

 private:
  void* obj_;
  void (*call_)(void*, int);
};

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // total threads including the caller; <= 1 runs inline
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void parallel_for(int n, TaskFn fn);
  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Process-wide pool sized to the hardware (or $ODMA_THREADS).
  static ThreadPool& shared();

 private:
  void worker_loop();
  void run_tasks();
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_, done_;
  const TaskFn* fn_ = nullptr;
  int n_ = 0;
  std::atomic<int> next_{0};
  std::atomic<int> active_{0};                // workers still inside the current job
  std::atomic<std::uint64_t> generation_{0};  // bumped once per job
  std::atomic<bool> stop_{false};
};

}  // namespace odma::model::cpu
