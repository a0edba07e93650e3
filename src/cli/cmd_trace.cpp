// `odma trace`: writes a request trace (JSONL) from the shipped datasets and production traces.
#include <cstdio>
#include <iostream>

#include "base/args.h"
#include "base/error.h"
#include "cli/command.h"
#include "workload/prefix_blocks.h"
#include "workload/trace.h"
#include "workload/workload_spec.h"

namespace odma::cli {
namespace {

constexpr const char* kHelp =
    R"(usage: odma trace (--dataset NAME | --mix SPEC | --drift LIST) [options]

Writes a request trace, one JSON object per line: {"id", "prompt" (if any), "prompt_tokens",
"output_tokens", "arrival_s", "block_tokens" and "prefix_blocks" (if any)}. Same flags and
--seed → the same trace, byte for byte.

Sources: alpaca, alpaca-vicuna, nq (Qwen2-token datasets; alpaca-vicuna counts LLaMA tokens),
azure-conv, azure-code (Azure 2023 production traces, own token counts and arrival times),
arxiv (vidur's arXiv-summarization lengths, LLaMA-2 tokens, no times), mooncake-conv (one hour of
Kimi chat: lengths, arrival times, 512-token prefix block ids; --block-tokens B scales it down).
See docs/data.md.

)";

int run_trace(const std::vector<std::string>& argv) {
  using namespace odma::workload;
  Args args(argv, {"help"});
  if (args.has("help")) {
    std::fputs(kHelp, stdout);
    std::fputs(kWorkloadFlagsHelp, stdout);
    std::fputs("  --out PATH          output file (default: stdout)\n", stdout);
    return 0;
  }
  std::set<std::string> known = workload_flag_names();
  known.insert({"help", "out"});
  args.reject_unknown(known);
  if (!args.positionals().empty())
    throw Error("unexpected argument '" + args.positionals()[0] + "'");

  const Trace trace = build_workload(workload_spec_from_args(args));
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
  if (trace.block_tokens > 0) {
    const PrefixReuse reuse = infinite_cache_bound(trace);
    std::fprintf(stderr,
                 "odma trace: infinite prefix cache: %.1f%% of prompt tokens reusable "
                 "(%lld of %lld, %d-token blocks)\n",
                 100.0 * reuse.fraction(), static_cast<long long>(reuse.reusable_tokens),
                 static_cast<long long>(reuse.prompt_tokens), trace.block_tokens);
  }
  return 0;
}

}  // namespace

ODMA_COMMAND("trace",
             "write a request trace (JSONL) from datasets, mixtures, drift, arrival models",
             run_trace);

}  // namespace odma::cli
