// Helpers of the `odma serve` integration tests: the shipped models' paths, JSON requests, SSE
// streams read as a client reads them, and values scraped from /metrics.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "base/file_io.h"
#include "server/server_process.h"
#include "server/sse.h"

namespace odma::server::testing {

inline std::string model_path(const std::string& name) {
  return data_file("models/" + name + "/config.json").parent_path().string();
}

inline std::string chat_template_path(const std::string& name) {
  return data_file("chat_templates/" + name + ".json").string();
}

struct Reply {
  int status = 0;
  nlohmann::json body;  // discarded when not JSON
  std::string raw;
  std::string header(const std::string& key) const {
    return headers.count(key) ? headers.at(key) : "";
  }
  std::map<std::string, std::string> headers;
};

inline Reply post(httplib::Client& c, const std::string& path, const std::string& body,
                  const httplib::Headers& headers = {}) {
  Reply r;
  auto res = c.Post(path, headers, body, "application/json");
  if (!res) return r;
  r.status = res->status;
  r.raw = res->body;
  for (const auto& [k, v] : res->headers) r.headers[k] = v;
  r.body = nlohmann::json::parse(res->body, nullptr, false);
  return r;
}

inline Reply post(httplib::Client& c, const std::string& path, const nlohmann::json& body) {
  return post(c, path, body.dump());
}

inline Reply get(httplib::Client& c, const std::string& path) {
  Reply r;
  auto res = c.Get(path);
  if (!res) return r;
  r.status = res->status;
  r.raw = res->body;
  for (const auto& [k, v] : res->headers) r.headers[k] = v;
  r.body = nlohmann::json::parse(res->body, nullptr, false);
  return r;
}

// A streamed request: every event's JSON (the [DONE] sentinel not included) and whether it came.
struct Stream {
  int status = 0;
  std::vector<nlohmann::json> events;
  bool done = false;
  std::string text() const {  // the concatenated content (chat delta.content or text)
    std::string t;
    for (const auto& e : events) {
      if (!e.contains("choices") || e["choices"].empty()) continue;
      const auto& c = e["choices"][0];
      if (c.contains("delta") && c["delta"].contains("content") &&
          c["delta"]["content"].is_string())
        t += c["delta"]["content"].get<std::string>();
      if (c.contains("text") && c["text"].is_string()) t += c["text"].get<std::string>();
    }
    return t;
  }
};

// `on_events` (optional) is called whenever a read brings one or more events, e.g. to time them.
inline Stream stream(httplib::Client& c, const std::string& path, nlohmann::json body,
                     const std::function<void()>& on_events = {}) {
  body["stream"] = true;
  Stream s;
  sse::Parser parser;
  httplib::Request req;
  req.method = "POST";
  req.path = path;
  req.headers.emplace("Content-Type", "application/json");
  req.body = body.dump();
  req.response_handler = [&](const httplib::Response& r) {
    s.status = r.status;
    return true;
  };
  req.content_receiver = [&](const char* d, std::size_t n, std::uint64_t, std::uint64_t) {
    const std::size_t before = s.events.size();
    for (const std::string& p : parser.feed(std::string_view(d, n)))
      s.events.push_back(nlohmann::json::parse(p, nullptr, false));
    if (on_events && s.events.size() > before) on_events();
    return true;
  };
  httplib::Response res;
  httplib::Error err;
  (void)c.send(req, res, err);
  s.done = parser.done();
  return s;
}

// The value of the first sample of `metric` whose line contains every `needle` (-1 if absent).
inline double metric(const std::string& text, const std::string& metric,
                     const std::vector<std::string>& needles = {}) {
  std::size_t at = 0;
  while ((at = text.find(metric, at)) != std::string::npos) {
    const bool line_start = at == 0 || text[at - 1] == '\n';  // not inside a # HELP line
    const std::size_t end = text.find('\n', at);
    const std::string line = text.substr(at, end - at);
    at = end;
    if (!line_start) continue;
    const char after = line.size() > metric.size() ? line[metric.size()] : ' ';
    if (after != ' ' && after != '{') continue;
    bool all = true;
    for (const auto& n : needles) all = all && line.find(n) != std::string::npos;
    if (!all) continue;
    return std::atof(line.c_str() + line.rfind(' ') + 1);
  }
  return -1;
}

// Waits until the server's KV holds nothing (every slot free) or `seconds` pass; returns the last
// reserved-slot count seen.
inline double wait_kv_free(httplib::Client& c, double seconds) {
  double reserved = -1;
  for (int i = 0; i < static_cast<int>(seconds * 50); ++i) {
    auto r = c.Get("/metrics");
    if (r) reserved = metric(r->body, "odma:kv_reserved_slots");
    if (reserved == 0) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return reserved;
}

// Runs a shell command; its stdout, and its exit code in `code`.
inline std::string run_command(const std::string& command, int& code) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) {
    code = -1;
    return out;
  }
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

}  // namespace odma::server::testing
