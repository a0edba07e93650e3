#include "server/connections.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace odma::server {
namespace {

thread_local bool t_rejecting = false;

// "a.b.c.d" / "::1" and port of a socket address.
bool address_of(const sockaddr_storage& a, std::string& ip, int& port) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&a);
    if (inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof buf) == nullptr) return false;
    port = ntohs(v4->sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a);
    if (inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof buf) == nullptr) return false;
    port = ntohs(v6->sin6_port);
  } else {
    return false;
  }
  ip = buf;
  return true;
}

bool matches(int fd, const httplib::Request& req) {
  sockaddr_storage peer{}, local{};
  socklen_t n = sizeof peer;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &n) != 0) return false;
  n = sizeof local;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &n) != 0) return false;
  std::string peer_ip, local_ip;
  int peer_port = 0, local_port = 0;
  return address_of(peer, peer_ip, peer_port) && address_of(local, local_ip, local_port) &&
         peer_port == req.remote_port && local_port == req.local_port && peer_ip == req.remote_addr;
}

}  // namespace

ConnectionPool::ConnectionPool(std::size_t max_connections, std::size_t backlog)
    : max_(max_connections < 1 ? 1 : max_connections), backlog_(backlog) {
  for (std::size_t i = 0; i < max_; ++i) workers_.push_back(std::make_unique<Worker>());
  for (auto& w : workers_) threads_.emplace_back([this, &w = *w] { worker(w); });
  threads_.emplace_back([this] { overflow_worker(); });
}

ConnectionPool::~ConnectionPool() {
  shutdown();
}

void ConnectionPool::enqueue(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      hand_to_idle(std::move(fn));
      return;
    }
    // Pool threads that serve no connection but are not idle yet (starting, or just done with
    // one) take from the queue before they sleep: room for as many beyond the backlog, so a
    // connection is never refused while a thread is about to be free.
    const std::size_t about_free = max_ - busy_;
    if (queue_.size() < backlog_ + about_free) {
      queue_.push_back(std::move(fn));
      return;
    }
    overflow_.push_back(std::move(fn));
  }
  overflow_work_.notify_one();
}

void ConnectionPool::hand_to_idle(std::function<void()> fn) {
  Worker* w = idle_.back();  // the most recently idle one: its caches are warm
  idle_.pop_back();
  w->job = std::move(fn);
  ++busy_;
  w->wake.notify_one();
}

void ConnectionPool::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  for (auto& w : workers_) w->wake.notify_all();
  overflow_work_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

std::size_t ConnectionPool::active() const {
  std::lock_guard<std::mutex> lock(mu_);
  return busy_;
}

void ConnectionPool::worker(Worker& self) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (!self.job && !queue_.empty()) {  // a backlogged connection, before going idle
      self.job = std::move(queue_.front());
      queue_.pop_front();
      ++busy_;
    }
    if (!self.job) {
      if (stop_) return;
      idle_.push_back(&self);
      self.wake.wait(lock, [&] { return self.job != nullptr || stop_; });
      if (!self.job) {  // stopping while idle
        std::erase(idle_, &self);
        return;
      }
    }
    std::function<void()> fn = std::move(self.job);
    self.job = nullptr;
    lock.unlock();
    fn();  // serves the connection until it closes
    lock.lock();
    --busy_;
  }
}

void ConnectionPool::overflow_worker() {
  t_rejecting = true;
  for (;;) {
    std::function<void()> fn;
    {
      std::unique_lock<std::mutex> lock(mu_);
      overflow_work_.wait(lock, [&] { return stop_ || !overflow_.empty(); });
      if (overflow_.empty()) return;
      fn = std::move(overflow_.front());
      overflow_.pop_front();
      if (!idle_.empty() && !stop_) {  // a pool thread came free meanwhile: serve, don't refuse
        hand_to_idle(std::move(fn));
        continue;
      }
    }
    fn();
  }
}

bool rejecting_connection() {
  return t_rejecting;
}

int find_connection_socket(const httplib::Request& req) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int found = -1;
  while (dirent* e = readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || fd < 0) continue;
    struct stat st {};
    if (fstat(static_cast<int>(fd), &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    if (matches(static_cast<int>(fd), req)) {
      found = static_cast<int>(fd);
      break;
    }
  }
  closedir(dir);
  return found;
}

bool peer_closed(int fd) {
  if (fd < 0) return false;
  pollfd p{fd, static_cast<short>(POLLIN | POLLRDHUP), 0};
  if (poll(&p, 1, 0) <= 0) return false;
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

}  // namespace odma::server
