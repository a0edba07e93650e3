#include "workload/workload_spec.h"

#include "base/error.h"
#include "workload/prefix_blocks.h"
#include "workload/workload.h"

namespace odma::workload {
namespace {

bool is_production_trace(const std::string& source) {
  return source == "azure-conv" || source == "azure-code" || source == "arxiv" ||
         source == "mooncake-conv";
}

std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    out.push_back(list.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

const char* const kWorkloadFlagsHelp =
    R"(  --dataset NAME      one source, in source order: alpaca | alpaca-vicuna | nq | azure-conv |
                      azure-code | arxiv | mooncake-conv (with 512-token prefix blocks)
  --mix SPEC          weighted mixture, e.g. alpaca:0.7,nq:0.3 (exact proportions, shuffled)
  --drift LIST        phases in order, e.g. alpaca,nq (first half alpaca, second half nq) or
                      alpaca,alpaca-vicuna (same prompts, Vicuna-7B lengths in the second half)
  --count N           requests for --mix/--drift (required there)
  --split S           test | val | train | all (default: test; all for azure-*/arxiv/mooncake-*,
                      which are split by row index with the same index % 10 rule)
  --limit N           keep only the first N requests
  --arrival A         offline | poisson:RATE (req/s) | azure-conv | azure-code (replays that
                      trace's arrival times in request order). Default: the source's own times
                      (azure-*, mooncake-conv), otherwise offline
  --seed S            seed for mixture order, record draws and Poisson gaps (default 1)
  --block-tokens B    prefix blocks of B tokens instead of the source's 512 (mooncake-conv): every
                      length scales by B/512, block ids and counts stay (default 512)
)";

const std::set<std::string>& workload_flag_names() {
  static const std::set<std::string> names = {"dataset", "mix",     "drift", "count",       "split",
                                              "limit",   "arrival", "seed",  "block-tokens"};
  return names;
}

WorkloadSpec workload_spec_from_args(const Args& args, bool required) {
  WorkloadSpec spec;
  spec.dataset = args.get_or("dataset", "");
  spec.mix = args.get_or("mix", "");
  spec.drift = args.get_or("drift", "");
  const int modes =
      (args.has("dataset") ? 1 : 0) + (args.has("mix") ? 1 : 0) + (args.has("drift") ? 1 : 0);
  if (modes > 1 || (required && modes == 0)) {
    throw Error("give exactly one of --dataset, --mix, --drift");
  }
  if (args.has("count")) {
    if (args.has("dataset"))
      throw Error("--count is for --mix/--drift; use --limit with --dataset");
    const long long count = args.get_int("count", 0);
    if (count < 1) throw Error("--count must be ≥ 1");
    spec.count = static_cast<std::size_t>(count);
  } else if (args.has("mix") || args.has("drift")) {
    throw Error("--count N is required with --mix/--drift");
  }
  spec.split = args.get_or("split", "");
  if (!spec.split.empty()) (void)parse_split(spec.split);  // fail early on a typo
  if (args.has("limit")) {
    const long long limit = args.get_int("limit", 0);
    if (limit < 0) throw Error("--limit must be ≥ 0");
    spec.limit = static_cast<std::size_t>(limit);
  }
  spec.arrival = args.get_or("arrival", "");
  const long long seed = args.get_int("seed", 1);
  if (seed < 0) throw Error("--seed must be ≥ 0");
  spec.seed = static_cast<std::uint64_t>(seed);
  if (args.has("block-tokens")) {
    const long long b = args.get_int("block-tokens", 0);
    if (b < 1 || b > INT32_MAX) throw Error("--block-tokens must be ≥ 1");
    spec.block_tokens = static_cast<std::int32_t>(b);
  }
  return spec;
}

Trace build_workload(const WorkloadSpec& spec) {
  const int modes =
      (spec.dataset.empty() ? 0 : 1) + (spec.mix.empty() ? 0 : 1) + (spec.drift.empty() ? 0 : 1);
  if (modes != 1) throw Error("workload: set exactly one of dataset, mix, drift");
  Trace trace;
  if (!spec.dataset.empty()) {
    const std::string split =
        spec.split.empty() ? (is_production_trace(spec.dataset) ? "all" : "test") : spec.split;
    trace = source_trace(spec.dataset, parse_split(split));
  } else {
    if (spec.count < 1) throw Error("workload: count must be ≥ 1 for a mixture or drift");
    const auto split = parse_split(spec.split.empty() ? "test" : spec.split);
    if (!spec.mix.empty()) {
      trace = make_mixture(parse_mixture(spec.mix), spec.count, split, spec.seed);
    } else {
      const auto phases = split_list(spec.drift);
      if (phases.size() < 2)
        throw Error("drift '" + spec.drift + "': needs at least two phases, e.g. alpaca,nq");
      trace = make_drift(phases, spec.count, split, spec.seed);
    }
  }
  if (spec.limit && *spec.limit < trace.requests.size()) trace.requests.resize(*spec.limit);
  if (spec.block_tokens != 0) {
    if (trace.block_tokens == 0)
      throw Error("--block-tokens needs a source with prefix blocks (mooncake-conv)");
    trace = scale_blocks(trace, spec.block_tokens);
  }
  if (!spec.arrival.empty()) apply_arrival_spec(trace, spec.arrival, spec.seed);
  validate_trace(trace);
  return trace;
}

}  // namespace odma::workload
