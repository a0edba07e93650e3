// The CSV/TSV loaders of the shipped traces (src/workload/workload.h, dataset_parse.h): the Azure
// LLM inference trace, vidur's arXiv lengths and the integer length tables. The first byte picks
// the loader; the rest is the file.
//
// Properties: bad rows → odma::Error naming the file; an accepted trace has every request's
// token counts ≥ 1 and, for Azure, finite arrivals ≥ 0 in sorted order; an accepted table has one
// value per header column.
#include <cmath>

#include "fuzz/fuzz_util.h"
#include "workload/dataset_parse.h"
#include "workload/workload.h"

namespace {

void check_trace(const odma::workload::Trace& t) {
  using odma::fuzz::check;
  check(!t.requests.empty(), "empty trace accepted");
  for (std::size_t i = 0; i < t.requests.size(); ++i) {
    const auto& r = t.requests[i];
    check(r.prompt_tokens >= 1 && r.output_tokens >= 1, "token count < 1 accepted", r.id);
    check(std::isfinite(r.arrival_s) && r.arrival_s >= 0, "bad arrival accepted", r.id);
    if (i > 0) check(t.requests[i - 1].arrival_s <= r.arrival_s, "arrivals not sorted", r.id);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace wl = odma::workload;
  if (size == 0) return 0;
  const std::string text(odma::fuzz::as_text(data + 1, size - 1));
  const std::string file = "trace.csv";
  switch (data[0] % 4) {
    case 0:
    case 1: {
      const auto kind = data[0] % 4 == 0 ? wl::AzureKind::kConv : wl::AzureKind::kCode;
      wl::Trace t;
      if (odma::fuzz::parses(file, [&] { t = wl::parse_azure_trace(text, file, kind); }))
        check_trace(t);
      break;
    }
    case 2: {
      wl::Trace t;
      if (odma::fuzz::parses(file, [&] { t = wl::parse_arxiv_trace(text, file); })) check_trace(t);
      break;
    }
    default: {
      const std::vector<std::string> header = {"index", "question_tokens", "long_answer_tokens"};
      std::vector<std::vector<std::int64_t>> rows;
      if (odma::fuzz::parses(
              file, [&] { rows = wl::detail::parse_int_table(text, file, '\t', header); })) {
        for (const auto& row : rows)
          odma::fuzz::check(row.size() == header.size(), "row width != header width");
      }
      break;
    }
  }
  return 0;
}
