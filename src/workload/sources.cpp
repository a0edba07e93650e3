// Request sources: the shipped datasets and the production traces (Azure, vidur's arXiv; Mooncake
// in mooncake.cpp).
#include <algorithm>
#include <cstdio>

#include "base/error.h"
#include "base/file_io.h"
#include "workload/dataset_parse.h"
#include "workload/workload.h"

namespace odma::workload {
namespace {

constexpr const char* kAzureConvCsv = "traces/AzureLLMInferenceTrace_conv.csv";
constexpr const char* kAzureCodeCsv = "traces/AzureLLMInferenceTrace_code.csv";
constexpr const char* kArxivCsv =
    "traces/vidur_arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv";

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, std::int64_t m, std::int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// "2023-11-16 18:17:03.9799600" → 100 ns ticks since 1970 (the files' resolution), exact in an
// int64, so arrival differences carry no floating-point noise.
constexpr std::int64_t kTicksPerSecond = 10'000'000;

std::int64_t parse_timestamp(std::string_view s, const std::string& where) {
  const auto bad = [&]() {
    return Error(where + ": bad TIMESTAMP '" + std::string(s) + "' (want YYYY-MM-DD HH:MM:SS[.f])");
  };
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':') {
    throw bad();
  }
  const auto num = [&](std::size_t pos, std::size_t len, std::int64_t lo, std::int64_t hi) {
    try {
      return detail::parse_int(s.substr(pos, len), where + " (TIMESTAMP)", lo, hi);
    } catch (const Error&) {
      throw bad();
    }
  };
  const std::int64_t days =
      days_from_civil(num(0, 4, 1970, 9999), num(5, 2, 1, 12), num(8, 2, 1, 31));
  const std::int64_t seconds =
      days * 86400 + num(11, 2, 0, 23) * 3600 + num(14, 2, 0, 59) * 60 + num(17, 2, 0, 60);
  std::int64_t ticks = 0;
  if (s.size() > 19) {
    if (s[19] != '.' || s.size() == 20) throw bad();
    std::int64_t scale = kTicksPerSecond / 10;
    for (char c : s.substr(20)) {
      if (c < '0' || c > '9') throw bad();
      ticks += scale * (c - '0');  // digits past the 7th (scale 0) are dropped
      scale /= 10;
    }
  }
  return seconds * kTicksPerSecond + ticks;
}

// Parses CSV text with an exact header, calling fn(fields, where, row) per data row (row
// 0-based); `file` names the text in errors.
template <typename Fn>
void parse_csv(const std::string& text, const std::string& file,
               const std::vector<std::string>& header, Fn&& fn) {
  bool seen_header = false;
  std::size_t row = 0;
  detail::for_each_line(text, [&](std::string_view line, std::size_t number) {
    if (line.empty()) return;
    const std::string where = file + ":" + std::to_string(number);
    auto fields = detail::split_fields(line, ',');
    if (!seen_header) {
      if (std::vector<std::string>(fields.begin(), fields.end()) != header) {
        throw Error(where + ": unexpected header '" + std::string(line) + "'");
      }
      seen_header = true;
      return;
    }
    if (fields.size() != header.size()) {
      throw Error(where + ": expected " + std::to_string(header.size()) + " fields, found " +
                  std::to_string(fields.size()));
    }
    fn(fields, where, row++);
  });
  if (!seen_header) throw Error(file + ": empty file (no header)");
}

std::int32_t token_count(std::string_view field, const std::string& where, const char* column) {
  return static_cast<std::int32_t>(
      detail::parse_int(field, where + " (" + column + ")", 1, INT32_MAX));
}

Trace filter_rows(const Trace& t, std::optional<Split> split) {
  if (!split) return t;
  Trace out;
  out.name = t.name + "-" + split_name(*split);
  out.block_tokens = t.block_tokens;
  for (std::size_t i = 0; i < t.requests.size(); ++i) {
    if (split_of(static_cast<std::int64_t>(i)) == *split) out.requests.push_back(t.requests[i]);
  }
  // Re-base so the filtered trace starts at 0 like the whole one.
  if (!out.requests.empty()) {
    const double t0 = out.requests.front().arrival_s;
    for (auto& r : out.requests) r.arrival_s -= t0;
  }
  return out;
}

}  // namespace

Trace parse_azure_trace(const std::string& text, const std::string& source, AzureKind kind) {
  const bool conv = kind == AzureKind::kConv;
  Trace t;
  t.name = conv ? "azure-conv" : "azure-code";
  std::vector<std::int64_t> stamps;
  parse_csv(text, source, {"TIMESTAMP", "ContextTokens", "GeneratedTokens"},
            [&](const std::vector<std::string_view>& f, const std::string& where, std::size_t row) {
              stamps.push_back(parse_timestamp(f[0], where));
              TraceRequest r;
              r.id = t.name + "-" + std::to_string(row);
              r.prompt_tokens = token_count(f[1], where, "ContextTokens");
              r.output_tokens = token_count(f[2], where, "GeneratedTokens");
              t.requests.push_back(std::move(r));
            });
  if (t.requests.empty()) throw Error(source + ": no requests");
  for (std::size_t i = 0; i < stamps.size(); ++i) {
    t.requests[i].arrival_s =
        static_cast<double>(stamps[i] - stamps[0]) / static_cast<double>(kTicksPerSecond);
    if (t.requests[i].arrival_s < 0) {
      throw Error(source + ": row " + std::to_string(i) +
                  " is earlier than the first row (the file must be in time order)");
    }
  }
  std::stable_sort(
      t.requests.begin(), t.requests.end(),
      [](const TraceRequest& a, const TraceRequest& b) { return a.arrival_s < b.arrival_s; });
  return t;
}

Trace parse_arxiv_trace(const std::string& text, const std::string& source) {
  Trace t;
  t.name = "arxiv";
  parse_csv(text, source,
            {"num_prefill_tokens", "num_decode_tokens", "num_total_tokens", "pd_ratio"},
            [&](const std::vector<std::string_view>& f, const std::string& where, std::size_t row) {
              TraceRequest r;
              r.id = "arxiv-" + std::to_string(row);
              r.prompt_tokens = token_count(f[0], where, "num_prefill_tokens");
              r.output_tokens = token_count(f[1], where, "num_decode_tokens");
              const std::int64_t total =
                  detail::parse_int(f[2], where + " (num_total_tokens)", 0, INT64_MAX / 2);
              if (total != static_cast<std::int64_t>(r.prompt_tokens) + r.output_tokens) {
                throw Error(where + ": num_total_tokens " + std::to_string(total) +
                            " != prefill + decode");
              }
              t.requests.push_back(std::move(r));
            });
  if (t.requests.empty()) throw Error(source + ": no requests");
  return t;
}

Trace azure_trace(AzureKind kind) {
  const auto path = data_file(kind == AzureKind::kConv ? kAzureConvCsv : kAzureCodeCsv);
  return parse_azure_trace(read_file(path), path.string(), kind);
}

Trace arxiv_trace() {
  const auto path = data_file(kArxivCsv);
  return parse_arxiv_trace(read_file(path), path.string());
}

std::vector<std::string> source_names() {
  std::vector<std::string> names = dataset_names();
  for (const char* n : {"azure-conv", "azure-code", "arxiv", "mooncake-conv"})
    names.emplace_back(n);
  return names;
}

Trace source_trace(const std::string& source, std::optional<Split> split) {
  if (source == "azure-conv") return filter_rows(azure_trace(AzureKind::kConv), split);
  if (source == "azure-code") return filter_rows(azure_trace(AzureKind::kCode), split);
  if (source == "arxiv") return filter_rows(arxiv_trace(), split);
  if (source == "mooncake-conv") return filter_rows(mooncake_trace(), split);
  const auto datasets = dataset_names();
  if (std::find(datasets.begin(), datasets.end(), source) != datasets.end())
    return dataset_trace(source, split);
  std::string known;
  for (const auto& n : source_names()) known += (known.empty() ? "" : ", ") + n;
  throw Error("unknown source '" + source + "' (known: " + known + ")");
}

}  // namespace odma::workload
