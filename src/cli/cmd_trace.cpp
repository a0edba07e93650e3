// `odma trace`: writes a request trace (JSONL) from the shipped datasets and production traces.
#include <cstdio>
#include <iostream>

#include "base/args.h"
#include "base/error.h"
#include "cli/command.h"
#include "predict/trace.h"
#include "predict/workload.h"

namespace odma::cli {
namespace {

constexpr const char* kHelp =
    R"(usage: odma trace (--dataset NAME | --mix SPEC | --drift LIST) [options]

Writes a request trace, one JSON object per line: {"id", "prompt" (if any), "prompt_tokens",
"output_tokens", "arrival_s"}. Same flags and --seed → the same trace, byte for byte.

Sources: alpaca, alpaca-vicuna, nq (Qwen2-token datasets; alpaca-vicuna counts LLaMA tokens),
azure-conv, azure-code (Azure 2023 production traces, own token counts and arrival times),
arxiv (vidur's arXiv-summarization lengths, LLaMA-2 tokens, no times). See docs/data.md.

  --dataset NAME      one source, in source order
  --mix SPEC          weighted mixture, e.g. alpaca:0.7,nq:0.3 (exact proportions, shuffled)
  --drift LIST        phases in order, e.g. alpaca,nq (first half alpaca, second half nq) or
                      alpaca,alpaca-vicuna (same prompts, Vicuna-7B lengths in the second half)
  --count N           requests for --mix/--drift (required there)
  --split S           test | val | train | all (default: test for datasets, all for azure-*/arxiv;
                      production traces are split by row index with the same index % 10 rule)
  --limit N           keep only the first N requests
  --arrival A         offline | poisson:RATE (req/s) | azure-conv | azure-code (replays that
                      trace's arrival times in request order). Default: keep the source's own
                      times (azure-*), otherwise offline.
  --seed S            seed for mixture order, record draws and Poisson gaps (default 1)
  --out PATH          output file (default: stdout)
)";

int run_trace(const std::vector<std::string>& argv) {
  using namespace odma::predict;
  Args args(argv, {"help"});
  if (args.has("help")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  args.reject_unknown(
      {"help", "dataset", "mix", "drift", "count", "split", "limit", "arrival", "seed", "out"});
  if (!args.positionals().empty())
    throw Error("unexpected argument '" + args.positionals()[0] + "'");
  const int modes =
      (args.has("dataset") ? 1 : 0) + (args.has("mix") ? 1 : 0) + (args.has("drift") ? 1 : 0);
  if (modes != 1) throw Error("give exactly one of --dataset, --mix, --drift (see --help)");

  const long long seed_arg = args.get_int("seed", 1);
  if (seed_arg < 0) throw Error("--seed must be ≥ 0");
  const auto seed = static_cast<std::uint64_t>(seed_arg);
  const long long limit = args.get_int("limit", -1);
  if (args.has("limit") && limit < 0) throw Error("--limit must be ≥ 0");

  Trace trace;
  if (args.has("dataset")) {
    if (args.has("count")) throw Error("--count is for --mix/--drift; use --limit with --dataset");
    const std::string name = *args.get("dataset");
    const bool production = name == "azure-conv" || name == "azure-code" || name == "arxiv";
    trace = source_trace(name, parse_split(args.get_or("split", production ? "all" : "test")));
  } else {
    if (!args.has("count")) throw Error("--count N is required with --mix/--drift");
    const long long count = args.get_int("count", 0);
    if (count < 1) throw Error("--count must be ≥ 1");
    const auto split = parse_split(args.get_or("split", "test"));
    if (args.has("mix")) {
      trace = make_mixture(parse_mixture(*args.get("mix")), static_cast<std::size_t>(count), split,
                           seed);
    } else {
      std::vector<std::string> phases;
      const std::string list = *args.get("drift");
      std::size_t start = 0;
      while (start <= list.size()) {
        std::size_t end = list.find(',', start);
        if (end == std::string::npos) end = list.size();
        phases.push_back(list.substr(start, end - start));
        start = end + 1;
      }
      if (phases.size() < 2) throw Error("--drift needs at least two phases, e.g. alpaca,nq");
      trace = make_drift(phases, static_cast<std::size_t>(count), split, seed);
    }
  }
  if (limit >= 0 && static_cast<std::size_t>(limit) < trace.requests.size()) {
    trace.requests.resize(static_cast<std::size_t>(limit));
  }
  if (auto arrival = args.get("arrival")) apply_arrival_spec(trace, *arrival, seed);
  validate_trace(trace);

  if (auto out = args.get("out")) {
    write_trace(trace, *out);
  } else {
    std::cout << format_trace(trace);
    std::cout.flush();
    if (!std::cout) throw Error("write error on stdout");
  }

  double prompt = 0, output = 0;
  for (const auto& r : trace.requests) {
    prompt += r.prompt_tokens;
    output += r.output_tokens;
  }
  const double n = trace.requests.empty() ? 1.0 : static_cast<double>(trace.requests.size());
  const double span = trace.requests.empty() ? 0.0 : trace.requests.back().arrival_s;
  std::fprintf(stderr,
               "odma trace: %s: %zu requests, mean prompt %.1f tokens, mean output %.1f tokens, "
               "span %.1f s\n",
               trace.name.c_str(), trace.requests.size(), prompt / n, output / n, span);
  return 0;
}

}  // namespace

ODMA_COMMAND("trace",
             "write a request trace (JSONL) from datasets, mixtures, drift, arrival models",
             run_trace);

}  // namespace odma::cli
