// Arrival processes: offline, Poisson, and replaying a production trace's arrival pattern.
#include <cmath>
#include <cstdlib>

#include "base/error.h"
#include "workload/workload.h"

namespace odma::workload {

void apply_offline_arrivals(Trace& trace) {
  for (TraceRequest& r : trace.requests) r.arrival_s = 0;
}

void apply_poisson_arrivals(Trace& trace, double rate, std::uint64_t seed) {
  if (!std::isfinite(rate) || rate <= 0)
    throw Error("poisson arrivals: rate must be a finite number > 0");
  SplitMix64 rng(seed);
  double t = 0;
  for (std::size_t i = 0; i < trace.requests.size(); ++i) {
    if (i > 0) t += rng.exponential(rate);
    trace.requests[i].arrival_s = t;
  }
}

void apply_trace_arrivals(Trace& trace, const Trace& pattern) {
  const auto& p = pattern.requests;
  if (p.empty()) throw Error("trace arrivals: pattern '" + pattern.name + "' has no requests");
  const double t0 = p.front().arrival_s;
  const double span = p.back().arrival_s - t0;
  const double mean_gap = p.size() > 1 ? span / static_cast<double>(p.size() - 1) : 0.0;
  for (std::size_t i = 0; i < trace.requests.size(); ++i) {
    const std::size_t pass = i / p.size();
    trace.requests[i].arrival_s =
        (p[i % p.size()].arrival_s - t0) + static_cast<double>(pass) * (span + mean_gap);
  }
}

void apply_arrival_spec(Trace& trace, const std::string& spec, std::uint64_t seed) {
  if (spec == "offline") return apply_offline_arrivals(trace);
  if (spec == "azure-conv") return apply_trace_arrivals(trace, azure_trace(AzureKind::kConv));
  if (spec == "azure-code") return apply_trace_arrivals(trace, azure_trace(AzureKind::kCode));
  if (spec.rfind("poisson:", 0) == 0) {
    const std::string rate_text = spec.substr(8);
    char* end = nullptr;
    const double rate = std::strtod(rate_text.c_str(), &end);
    if (rate_text.empty() || *end != '\0')
      throw Error("arrival '" + spec + "': rate is not a number");
    return apply_poisson_arrivals(trace, rate, seed);
  }
  throw Error("unknown arrival process '" + spec +
              "' (expected offline, poisson:RATE, azure-conv or azure-code)");
}

}  // namespace odma::workload
