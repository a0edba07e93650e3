#include "server/loadgen_stats.h"

#include <cstdio>
#include <sstream>

#include "base/error.h"

namespace odma::server {

Slo parse_goodput(const std::string& text) {
  Slo slo;
  std::string normal = text;
  for (char& c : normal)
    if (c == ',') c = ' ';
  std::istringstream in(normal);
  std::string item;
  while (in >> item) {
    const auto colon = item.find(':');
    double ms = -1;
    try {
      ms = colon == std::string::npos ? -1 : std::stod(item.substr(colon + 1));
    } catch (const std::exception&) {
      ms = -1;
    }
    if (!(ms >= 0)) throw Error("--goodput: '" + item + "' must be NAME:MS with MS >= 0");
    const std::string name = item.substr(0, colon);
    if (name == "ttft") {
      slo.ttft_ms = ms;
    } else if (name == "tpot") {
      slo.tpot_ms = ms;
    } else if (name == "e2el") {
      slo.e2el_ms = ms;
    } else {
      throw Error("--goodput: unknown metric '" + name + "' (ttft, tpot, e2el)");
    }
  }
  return slo;
}

LoadSummary summarize_load(const std::vector<RequestRecord>& records, double duration_s,
                           const Slo& slo) {
  LoadSummary s;
  s.duration_s = duration_s;
  std::vector<double> ttft, tpot, itl, e2el;
  std::int64_t good = 0;
  s.goodput_measured = slo.ttft_ms || slo.tpot_ms || slo.e2el_ms;
  for (const RequestRecord& r : records) {
    if (!r.success) {
      ++s.failed;
      s.errors.push_back(r.error);
      continue;
    }
    ++s.completed;
    s.total_input_tokens += r.prompt_tokens;
    s.total_output_tokens += r.output_tokens;
    s.total_cached_tokens += r.cached_tokens;
    ttft.push_back(r.ttft_s);
    e2el.push_back(r.latency_s);
    itl.insert(itl.end(), r.itl_s.begin(), r.itl_s.end());
    double request_tpot = 0;
    if (r.output_tokens > 1) {
      request_tpot = (r.latency_s - r.ttft_s) / static_cast<double>(r.output_tokens - 1);
      tpot.push_back(request_tpot);
    }
    const bool ok = (!slo.ttft_ms || r.ttft_s * 1e3 <= *slo.ttft_ms) &&
                    (!slo.tpot_ms || request_tpot * 1e3 <= *slo.tpot_ms) &&
                    (!slo.e2el_ms || r.latency_s * 1e3 <= *slo.e2el_ms);
    good += ok;
  }
  const double d = duration_s > 0 ? duration_s : 1.0;
  s.request_throughput = static_cast<double>(s.completed) / d;
  s.request_goodput = static_cast<double>(s.goodput_measured ? good : s.completed) / d;
  s.output_throughput = static_cast<double>(s.total_output_tokens) / d;
  s.total_token_throughput = static_cast<double>(s.total_input_tokens + s.total_output_tokens) / d;
  s.ttft_s = summarize(std::move(ttft));
  s.tpot_s = summarize(std::move(tpot));
  s.itl_s = summarize(std::move(itl));
  s.e2el_s = summarize(std::move(e2el));
  return s;
}

double hit_rate(const LoadSummary& s) {
  return s.total_input_tokens > 0 ? static_cast<double>(s.total_cached_tokens) /
                                        static_cast<double>(s.total_input_tokens)
                                  : 0.0;
}

nlohmann::json to_json(const LoadSummary& s) {
  nlohmann::json j = {{"duration", s.duration_s},
                      {"completed", s.completed},
                      {"failed", s.failed},
                      {"total_input_tokens", s.total_input_tokens},
                      {"total_output_tokens", s.total_output_tokens},
                      {"request_throughput", s.request_throughput},
                      {"request_goodput", s.goodput_measured ? nlohmann::json(s.request_goodput)
                                                             : nlohmann::json(nullptr)},
                      {"output_throughput", s.output_throughput},
                      {"total_token_throughput", s.total_token_throughput},
                      {"total_cached_tokens", s.total_cached_tokens},
                      {"prefix_cache_hit_rate", hit_rate(s)},
                      {"errors", s.errors}};
  const std::pair<const char*, const QuantileSummary*> metrics[] = {
      {"ttft", &s.ttft_s}, {"tpot", &s.tpot_s}, {"itl", &s.itl_s}, {"e2el", &s.e2el_s}};
  for (const auto& [name, q] : metrics) {
    const std::string n = name;
    j["mean_" + n + "_ms"] = q->mean * 1e3;
    j["median_" + n + "_ms"] = q->p50 * 1e3;
    j["std_" + n + "_ms"] = q->stddev * 1e3;
    j["p90_" + n + "_ms"] = q->p90 * 1e3;
    j["p99_" + n + "_ms"] = q->p99 * 1e3;
  }
  return j;
}

std::string format_summary(const LoadSummary& s) {
  std::string out;
  char line[128];
  auto row = [&](const char* label, double v, int digits) {
    std::snprintf(line, sizeof line, "%-40s %-10.*f\n", label, digits, v);
    out += line;
  };
  auto head = [&](const char* title, char fill) {
    const std::string t(title);
    const std::size_t pad = t.size() + 2 < 50 ? (50 - t.size() - 2) / 2 : 0;
    out += std::string(pad, fill) + (t.empty() ? fill : ' ') + t + (t.empty() ? fill : ' ') +
           std::string(50 - pad - t.size() - 2, fill) + "\n";
  };
  head("Serving Benchmark Result", '=');
  row("Successful requests:", static_cast<double>(s.completed), 0);
  row("Failed requests:", static_cast<double>(s.failed), 0);
  row("Benchmark duration (s):", s.duration_s, 2);
  row("Total input tokens:", static_cast<double>(s.total_input_tokens), 0);
  row("Total generated tokens:", static_cast<double>(s.total_output_tokens), 0);
  row("Prefix cache hit rate (%):", 100.0 * hit_rate(s), 2);
  row("Request throughput (req/s):", s.request_throughput, 2);
  if (s.goodput_measured) row("Request goodput (req/s):", s.request_goodput, 2);
  row("Output token throughput (tok/s):", s.output_throughput, 2);
  row("Total Token throughput (tok/s):", s.total_token_throughput, 2);
  const std::tuple<const char*, const char*, const QuantileSummary*> blocks[] = {
      {"Time to First Token", "TTFT", &s.ttft_s},
      {"Time per Output Token (excl. 1st token)", "TPOT", &s.tpot_s},
      {"Inter-token Latency", "ITL", &s.itl_s},
      {"End-to-end Latency", "E2EL", &s.e2el_s}};
  for (const auto& [title, name, q] : blocks) {
    head(title, '-');
    const std::string n = name;
    row(("Mean " + n + " (ms):").c_str(), q->mean * 1e3, 2);
    row(("Median " + n + " (ms):").c_str(), q->p50 * 1e3, 2);
    row(("P90 " + n + " (ms):").c_str(), q->p90 * 1e3, 2);
    row(("P99 " + n + " (ms):").c_str(), q->p99 * 1e3, 2);
  }
  out += std::string(50, '=') + "\n";
  return out;
}

}  // namespace odma::server
