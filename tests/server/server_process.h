// A real `odma serve` for the integration tests: started as a child process on an ephemeral
// loopback port (--port 0; the port is read from its "listening on" line), ready once /health
// answers 200, stopped with SIGTERM (its exit code checked by the caller).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

namespace odma::server::testing {

#ifndef ODMA_BINARY
#error "ODMA_BINARY (the path of the odma executable) must be defined by the build"
#endif

class ServerProcess {
 public:
  // Starts `odma serve <args> --host 127.0.0.1 --port 0`; returns once /health is 200 (or the
  // process died / 120 s passed: then ok() is false and log() says why).
  explicit ServerProcess(std::vector<std::string> args) {
    int out[2];
    if (pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDERR_FILENO);
      close(out[0]);
      close(out[1]);
      args.insert(args.begin(), {ODMA_BINARY, "serve"});
      args.insert(args.end(), {"--host", "127.0.0.1", "--port", "0"});
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(ODMA_BINARY, argv.data());
      _exit(127);
    }
    close(out[1]);
    stderr_ = out[0];
    fcntl(stderr_, F_SETFL, O_NONBLOCK);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (std::chrono::steady_clock::now() < deadline && alive()) {
      drain_log();
      if (port_ == 0) {
        const auto at = log_.find("listening on http://127.0.0.1:");
        if (at != std::string::npos) port_ = std::atoi(log_.c_str() + at + 30);
      }
      if (port_ != 0 && log_.find("odma serve: ready") != std::string::npos) {
        httplib::Client c("127.0.0.1", port_);
        auto r = c.Get("/health");
        if (r && r->status == 200) {
          ok_ = true;
          return;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  ~ServerProcess() {
    if (pid_ > 0 && alive()) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stderr_ >= 0) close(stderr_);
  }

  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool ok() const { return ok_; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(120, 0);
    return c;
  }

  // Everything the server wrote on stderr so far.
  const std::string& log() {
    drain_log();
    return log_;
  }

  // SIGTERM, then waits up to `seconds` for the exit; returns the exit code (−1: killed/timeout).
  int terminate(int seconds = 60) {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        drain_log();
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      drain_log();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

  // Resident memory of the server (kB, from /proc), 0 if unknown.
  long resident_kb() const {
    FILE* f = std::fopen(("/proc/" + std::to_string(pid_) + "/status").c_str(), "r");
    if (f == nullptr) return 0;
    char line[256];
    long kb = 0;
    while (std::fgets(line, sizeof line, f) != nullptr)
      if (std::strncmp(line, "VmRSS:", 6) == 0) kb = std::atol(line + 6);
    std::fclose(f);
    return kb;
  }

 private:
  bool alive() {
    int status = 0;
    return pid_ > 0 && waitpid(pid_, &status, WNOHANG) == 0;
  }
  void drain_log() {
    char buf[4096];
    for (;;) {
      const ssize_t n = read(stderr_, buf, sizeof buf);
      if (n <= 0) break;
      log_.append(buf, static_cast<std::size_t>(n));
    }
  }

  pid_t pid_ = -1;
  int stderr_ = -1;
  int port_ = 0;
  bool ok_ = false;
  std::string log_;
};

}  // namespace odma::server::testing
