#include "model/cpu/thread_pool.h"

#include <cstdlib>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace odma::model::cpu {
namespace {

// Spin this many pause-iterations (~50 µs) before sleeping on a condition variable. A decode step
// is ~65 fork-joins a few µs to a few hundred µs apart; a futex sleep and wake-up per join cost
// more than the work of the small ones (measured ~17% of a batch-1 step in the scheduler).
constexpr int kSpin = 2000;

inline void cpu_relax() {
#if defined(__x86_64__)
  _mm_pause();
#endif
}

}  // namespace

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

ThreadPool& ThreadPool::shared() {
  static ThreadPool pool([] {
    if (const char* env = std::getenv("ODMA_THREADS"); env != nullptr && std::atoi(env) > 0) {
      return std::atoi(env);
    }
    unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : static_cast<int>(n);
  }());
  return pool;
}

void ThreadPool::run_tasks() {
  for (int i = next_.fetch_add(1); i < n_; i = next_.fetch_add(1)) (*fn_)(i);
}

void ThreadPool::parallel_for(int n, TaskFn fn) {
  if (n <= 0) return;
  if (workers_.empty() || n == 1) {
    for (int i = 0; i < n; ++i) fn(i);
    return;
  }
  fn_ = &fn;
  n_ = n;
  next_.store(0);
  active_.store(static_cast<int>(workers_.size()));
  {
    // Under the lock, so a worker between its last check and its wait cannot miss the bump.
    std::lock_guard<std::mutex> lock(mu_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  run_tasks();
  for (int spin = 0; active_.load(std::memory_order_acquire) != 0; ++spin) {
    if (spin < kSpin) {
      cpu_relax();
      continue;
    }
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [this] { return active_.load() == 0; });
    break;
  }
  fn_ = nullptr;
}

void ThreadPool::worker_loop() {
  std::uint64_t seen = 0;
  for (;;) {
    for (int spin = 0; spin < kSpin && generation_.load(std::memory_order_acquire) == seen &&
                       !stop_.load(std::memory_order_relaxed);
         ++spin) {
      cpu_relax();
    }
    if (generation_.load(std::memory_order_acquire) == seen) {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return stop_.load() || generation_.load() != seen; });
    }
    if (stop_.load()) return;
    seen = generation_.load(std::memory_order_acquire);
    run_tasks();
    if (active_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mu_);  // pairs with the caller's predicate check
      done_.notify_one();
    }
  }
}

}  // namespace odma::model::cpu
