// The workload flags `odma trace` takes, as a struct other commands (simulate, bench) can reuse:
// parse them from Args with workload_spec_from_args, list them in reject_unknown with
// workload_flag_names(), print kWorkloadFlagsHelp in --help, and build the trace with
// build_workload. Same spec → the same trace, request for request.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "base/args.h"
#include "workload/trace.h"

namespace odma::workload {

struct WorkloadSpec {
  std::string dataset;    // one source (exactly one of dataset / mix / drift is set)
  std::string mix;        // e.g. "alpaca:0.7,nq:0.3"
  std::string drift;      // e.g. "alpaca,nq"
  std::size_t count = 0;  // requests for mix / drift (≥ 1 there)
  std::string split;      // "train" | "val" | "test" | "all"; empty → the default
                          // (test for datasets, mixtures and drift; all for azure-*/arxiv)
  std::optional<std::size_t> limit;  // keep the first N requests
  std::string arrival;               // "" (keep the source's times) | offline | poisson:R | azure-*
  std::uint64_t seed = 1;
  std::int32_t block_tokens = 0;  // 0: the source's own prefix block size; else scale_blocks to it
};

// Reads --dataset --mix --drift --count --split --limit --arrival --seed --block-tokens. Throws
// odma::Error on a malformed or inconsistent combination. With `required` false, no source flag at
// all yields an empty spec (dataset, mix and drift all empty) so a caller can fall back to its own
// default.
WorkloadSpec workload_spec_from_args(const Args& args, bool required = true);

// The flag names above, for Args::reject_unknown.
const std::set<std::string>& workload_flag_names();

// Help text for those flags (each line indented two spaces, ends with a newline).
extern const char* const kWorkloadFlagsHelp;

// Builds the trace: source → mixture/drift → limit → block scaling → arrivals; validated. Throws
// odma::Error.
Trace build_workload(const WorkloadSpec& spec);

}  // namespace odma::workload
