// JSONL request traces (src/workload/trace.h).
//
// Properties: bad lines → odma::Error naming the file (and line); an accepted trace keeps the
// invariants trace.h states (validate_trace passes, sorted by arrival) and survives
// format_trace → parse_trace unchanged.
#include "fuzz/fuzz_util.h"
#include "workload/trace.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using odma::fuzz::check;
  namespace wl = odma::workload;
  const std::string text(odma::fuzz::as_text(data, size));
  wl::Trace t;
  if (!odma::fuzz::parses("trace.jsonl", [&] { t = wl::parse_trace(text, "trace.jsonl"); }))
    return 0;
  if (!odma::fuzz::parses("trace.jsonl", [&] { wl::validate_trace(t); }))
    odma::fuzz::fail("parse_trace accepted a trace validate_trace rejects");
  for (std::size_t i = 1; i < t.requests.size(); ++i)
    check(t.requests[i - 1].arrival_s <= t.requests[i].arrival_s, "trace not sorted by arrival");
  const std::string formatted = wl::format_trace(t);
  wl::Trace again;
  if (!odma::fuzz::parses("again.jsonl",
                          [&] { again = wl::parse_trace(formatted, "again.jsonl"); }))
    odma::fuzz::fail("format_trace wrote a trace parse_trace rejects", formatted);
  check(wl::format_trace(again) == formatted, "trace changed on the round trip", formatted);
  return 0;
}
