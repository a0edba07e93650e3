#include "server/loadgen_client.h"

#include <httplib.h>

#include "base/error.h"
#include "server/sse.h"

namespace odma::server {
namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

httplib::Headers headers_for(const Target& t) {
  httplib::Headers h;
  if (!t.api_key.empty()) h.emplace("Authorization", "Bearer " + t.api_key);
  return h;
}

nlohmann::json body_for(const Target& t, const LoadRequest& r) {
  nlohmann::json b = {{"max_tokens", r.max_tokens},
                      {"temperature", 0.0},
                      {"stream", true},
                      {"stream_options", {{"include_usage", true}}}};
  if (!t.model.empty()) b["model"] = t.model;
  if (t.ignore_eos) b["ignore_eos"] = true;
  if (t.endpoint == "/v1/chat/completions") {
    if (!r.messages.is_null()) {
      b["messages"] = r.messages;
    } else {
      b["messages"] = nlohmann::json::array();
      if (!t.system_prompt.empty())
        b["messages"].push_back({{"role", "system"}, {"content", t.system_prompt}});
      b["messages"].push_back({{"role", "user"}, {"content", r.prompt_text}});
    }
  } else if (!r.prompt_ids.empty()) {
    b["prompt"] = r.prompt_ids;
  } else {
    b["prompt"] = t.system_prompt + r.prompt_text;
  }
  return b;
}

// The content of one chunk: chat's delta.content or completions' text ("" when none).
std::string chunk_text(const nlohmann::json& chunk) {
  auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array() || choices->empty()) return "";
  const nlohmann::json& c = (*choices)[0];
  if (auto d = c.find("delta"); d != c.end() && d->is_object()) {
    if (auto content = d->find("content"); content != d->end() && content->is_string())
      return content->get<std::string>();
    return "";
  }
  if (auto text = c.find("text"); text != c.end() && text->is_string())
    return text->get<std::string>();
  return "";
}

}  // namespace

Target parse_base_url(const std::string& url) {
  Target t;
  std::string rest = url;
  if (rest.rfind("https://", 0) == 0)
    throw Error("--base-url " + url + ": https is not supported (use a plain http:// address)");
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.ends_with("/v1")) rest.resize(rest.size() - 3);
  if (rest.find('/') != std::string::npos)
    throw Error("--base-url " + url + ": give http://HOST:PORT (the endpoint goes in --endpoint)");
  const auto colon = rest.rfind(':');
  t.host = colon == std::string::npos ? rest : rest.substr(0, colon);
  if (colon != std::string::npos) {
    char* end = nullptr;
    const long port = std::strtol(rest.c_str() + colon + 1, &end, 10);
    if (*end != '\0' || port < 1 || port > 65535)
      throw Error("--base-url " + url + ": the port must be in [1, 65535]");
    t.port = static_cast<int>(port);
  } else {
    t.port = 80;
  }
  if (t.host.empty()) throw Error("--base-url " + url + ": no host");
  return t;
}

RequestRecord send_request(const Target& target, const LoadRequest& request,
                           Clock::time_point benchmark_start) {
  RequestRecord rec;
  rec.prompt_tokens = request.prompt_tokens;
  const Clock::time_point start = Clock::now();
  rec.start_s = seconds(benchmark_start, start);
  httplib::Client client(target.host, target.port);
  client.set_connection_timeout(10, 0);
  client.set_read_timeout(static_cast<time_t>(target.timeout_s), 0);
  client.set_write_timeout(30, 0);

  httplib::Request req;
  req.method = "POST";
  req.path = target.endpoint;
  req.headers = headers_for(target);
  req.headers.emplace("Content-Type", "application/json");
  if (!request.session_id.empty()) req.headers.emplace("X-Session-Id", request.session_id);
  req.body = body_for(target, request).dump();
  sse::Parser parser;
  std::string raw;  // the body of a failed response
  bool first = true;
  Clock::time_point last_content{};
  int status = 0;
  std::string stream_error;
  req.response_handler = [&](const httplib::Response& r) {
    status = r.status;
    return true;
  };
  req.content_receiver = [&](const char* data, std::size_t n, std::uint64_t, std::uint64_t) {
    if (status != 200) {
      raw.append(data, n);
      return raw.size() < (1 << 20);
    }
    const Clock::time_point now = Clock::now();
    for (const std::string& payload : parser.feed(std::string_view(data, n))) {
      const nlohmann::json chunk = nlohmann::json::parse(payload, nullptr, false);
      if (chunk.is_discarded()) continue;
      if (chunk.contains("error")) stream_error = chunk["error"].dump();
      if (auto usage = chunk.find("usage"); usage != chunk.end() && usage->is_object()) {
        rec.prompt_tokens = usage->value("prompt_tokens", rec.prompt_tokens);
        rec.output_tokens = usage->value("completion_tokens", std::int64_t{0});
        if (auto d = usage->find("prompt_tokens_details"); d != usage->end() && d->is_object())
          rec.cached_tokens = d->value("cached_tokens", std::int64_t{0});
      }
      const std::string text = chunk_text(chunk);
      if (text.empty()) continue;
      if (first) {
        rec.ttft_s = seconds(start, now);
        first = false;
      } else {
        rec.itl_s.push_back(seconds(last_content, now));
      }
      last_content = now;
      rec.text += text;
    }
    return true;
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  const bool sent = client.send(req, res, err);
  rec.latency_s = seconds(start, Clock::now());
  rec.status = status;
  if (!sent) {
    rec.error = "transport error: " + httplib::to_string(err);
  } else if (status != 200) {
    rec.error = "HTTP " + std::to_string(status) + ": " + raw;
  } else if (!stream_error.empty()) {
    rec.error = "error event: " + stream_error;
  } else if (!parser.done()) {
    rec.error = "the stream ended without [DONE]";
  } else {
    rec.success = true;
    if (first) rec.ttft_s = rec.latency_s;  // no content at all (e.g. an immediate EOS)
  }
  return rec;
}

std::vector<std::int32_t> tokenize_remote(const Target& target, const std::string& text) {
  httplib::Client client(target.host, target.port);
  client.set_connection_timeout(10, 0);
  const nlohmann::json body = target.model.empty()
                                  ? nlohmann::json{{"prompt", text}}
                                  : nlohmann::json{{"prompt", text}, {"model", target.model}};
  auto res = client.Post("/tokenize", headers_for(target), body.dump(), "application/json");
  if (!res || res->status != 200) {
    throw Error("loadgen: POST /tokenize failed (" +
                (res ? "HTTP " + std::to_string(res->status) + ": " + res->body
                     : httplib::to_string(res.error())) +
                ")");
  }
  const nlohmann::json j = nlohmann::json::parse(res->body, nullptr, false);
  if (j.is_discarded() || !j.contains("tokens") || !j["tokens"].is_array() || j["tokens"].empty())
    throw Error("loadgen: /tokenize answered without tokens: " + res->body);
  return j["tokens"].get<std::vector<std::int32_t>>();
}

}  // namespace odma::server
