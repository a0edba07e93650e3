// Connections of `odma serve`: a bounded pool of connection threads, and a way to tell that a
// client has gone.
//
// Pool. cpp-httplib serves each connection on one thread of its task queue from accept to close.
// ConnectionPool runs `max_connections` such threads; a connection that arrives while all are busy
// waits in a backlog of at most `backlog`, and one that arrives with the backlog full is handed
// to a single overflow thread that only answers 503 ("too many connections", Connection: close)
// — a flood is refused quickly, and never reaches the engine thread or starves the others.
// rejecting_connection() tells the request handlers which case they run in. Idle threads are
// woken last-in first-out: the few threads a steady load needs stay hot, and the per-thread state
// they build (the tokenizer's 2 MiB word cache, malloc arenas) is not repeated on every thread
// of the pool (measured: round-robin wake-ups grew the server by 138 MB over 1,000 requests).
//
// Disconnects. cpp-httplib 0.11 (Debian 12's) has no Request::is_connection_closed, so the
// handler finds its own socket once (the descriptor whose local and peer addresses are the
// request's) and polls it: POLLRDHUP/POLLHUP/POLLERR mean the client closed or reset. A client
// that is gone, while its request waits or streams, has the request cancelled and its KV freed.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>

namespace odma::server {

class ConnectionPool final : public httplib::TaskQueue {
 public:
  ConnectionPool(std::size_t max_connections, std::size_t backlog);
  ~ConnectionPool() override;

  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

  [[nodiscard]] std::size_t active() const;  // connections being served by the pool threads
  [[nodiscard]] std::size_t capacity() const { return max_; }

 private:
  struct Worker {
    std::condition_variable wake;
    std::function<void()> job;  // handed over by enqueue() while the worker sleeps
  };
  void worker(Worker& self);
  // Wakes the most recently idle worker with `fn`. Precondition: mu_ held, idle_ not empty.
  void hand_to_idle(std::function<void()> fn);
  void overflow_worker();

  std::size_t max_, backlog_;
  mutable std::mutex mu_;
  std::condition_variable overflow_work_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<Worker*> idle_;  // a stack: the most recently idle worker is woken first
  std::deque<std::function<void()>> queue_, overflow_;
  std::size_t busy_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

// True on the overflow thread: the request must be refused with 503.
[[nodiscard]] bool rejecting_connection();

// The descriptor of `req`'s connection, or -1 if it cannot be found.
[[nodiscard]] int find_connection_socket(const httplib::Request& req);

// True if the peer of socket `fd` has closed or reset it (−1: never).
[[nodiscard]] bool peer_closed(int fd);

}  // namespace odma::server
