// `odma replay`: a length trace through every KV policy at one fixed capacity, no model.
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "base/args.h"
#include "base/error.h"
#include "base/file_io.h"
#include "base/table.h"
#include "cli/command.h"
#include "cli/policy_list.h"
#include "predict/predictor.h"
#include "sim/replay.h"
#include "workload/trace.h"

namespace odma::cli {
namespace {

constexpr const char* kHelp = R"(usage: odma replay [options]

Replays request lengths through the KV policies at a fixed capacity with no model: requests are
admitted by the policy, generate one token per step until their true output length, and leave.

  --dataset LIST      built-in test-split traces, comma-separated (default: alpaca,nq)
  --trace FILE        a JSONL trace instead (format: docs/data.md)
  --policies LIST     default: static,paged,s3,odma,oracle
  --predictor SPEC    oracle | noisy:SIGMA | model:PATH | bundled (default: oracle)
  --capacity N        arena size in token slots (default 131072: the KV room a 24 GB MLU370-X4
                      keeps for DeepSeek-R1-Distill-Qwen-7B after its 15 GB of weights)
  --granule N         allocation unit in slots (default 16)
  --max-output N      generation cap per request; static reserves prompt + this (default 2048)
  --max-batch N       running requests at most (default 256)
  --arrival MODE      offline (all at t=0, default) | trace (use arrival_s, 20 ms per step)
  --extents N         odma: extents per request (1 = strict contiguity, default 1)
  --buckets K         odma: adaptive size classes (default 16)
  --seed S            seed for noisy predictions (default 1)
  --validate          run the invariant validator after every step (slow)
  --json PATH         also write the results as JSON
)";

nlohmann::json to_json(const std::string& workload, const sim::ReplayResult& r) {
  return {{"workload", workload},
          {"policy", r.policy},
          {"kv_utilization", r.kv_utilization},
          {"capacity_usage", r.capacity_usage},
          {"reservation_efficiency", r.reservation_efficiency},
          {"mean_concurrency", r.mean_concurrency},
          {"steps", r.steps},
          {"overflows", r.counters.overflows},
          {"migrations", r.counters.migrations},
          {"preemptions", r.counters.preemptions},
          {"failed_requests", r.counters.failed_requests}};
}

int run_replay(const std::vector<std::string>& argv) {
  Args args(argv, {"help", "validate"});
  if (args.has("help")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  args.reject_unknown({"help", "validate", "dataset", "trace", "policies", "predictor", "capacity",
                       "granule", "max-output", "max-batch", "arrival", "extents", "buckets",
                       "seed", "json"});

  sim::ReplayOptions opt;
  opt.policy.capacity_tokens = args.get_int("capacity", 131072);
  opt.policy.granule = static_cast<std::int32_t>(args.get_int("granule", 16));
  opt.max_output_tokens = static_cast<std::int32_t>(args.get_int("max-output", 2048));
  opt.policy.s3_max_output = opt.max_output_tokens;
  opt.planner.max_batch = static_cast<std::int32_t>(args.get_int("max-batch", 256));
  opt.policy.odma.max_extents = static_cast<std::int32_t>(args.get_int("extents", 1));
  opt.policy.odma.buckets =
      static_cast<std::int32_t>(args.get_int("buckets", opt.policy.odma.buckets));
  opt.validate_every_step = args.has("validate");
  std::string arrival = args.get_or("arrival", "offline");
  if (arrival != "offline" && arrival != "trace") throw Error("--arrival must be offline or trace");
  opt.use_arrivals = arrival == "trace";
  const std::vector<std::string> policies = parse_policy_list(args.get_or("policies", ""));
  const std::string predictor = args.get_or("predictor", "oracle");
  const auto seed = static_cast<std::uint64_t>(args.get_int("seed", 1));

  std::vector<workload::Trace> traces;
  if (auto path = args.get("trace")) {
    if (args.has("dataset")) throw Error("give --dataset or --trace, not both");
    traces.push_back(workload::read_trace(*path));
  } else {
    for (const std::string& name : split_list(args.get_or("dataset", "alpaca,nq")))
      traces.push_back(workload::dataset_trace(name));
  }

  nlohmann::json results = nlohmann::json::array();
  for (const workload::Trace& trace : traces) {
    // Longest prompt + cap bounds the model length every policy must accept.
    std::int32_t longest_prompt = 1;
    for (const auto& r : trace.requests) longest_prompt = std::max(longest_prompt, r.prompt_tokens);
    opt.policy.max_model_len = longest_prompt + opt.max_output_tokens;
    auto predictions = predict::predict_trace(trace, predictor, seed, opt.max_output_tokens);

    std::printf("\n## %s — %zu requests, capacity %lld slots, predictor %s\n\n", trace.name.c_str(),
                trace.requests.size(), static_cast<long long>(opt.policy.capacity_tokens),
                predictor.c_str());
    Table table({"policy", "KV util", "capacity usage", "reservation eff", "mean batch", "steps",
                 "overflows", "grow-in-place", "migrations", "preemptions", "failed"});
    for (const std::string& policy : policies) {
      std::fprintf(stderr, "replay: %s / %s ...\n", trace.name.c_str(), policy.c_str());
      sim::ReplayResult r = sim::replay(trace, predictions, policy, opt);
      table.add_row({policy, fmt_percent(r.kv_utilization), fmt_percent(r.capacity_usage),
                     fmt_percent(r.reservation_efficiency), fmt(r.mean_concurrency, 1),
                     std::to_string(r.steps), std::to_string(r.counters.overflows),
                     std::to_string(r.counters.grow_in_place),
                     std::to_string(r.counters.migrations), std::to_string(r.counters.preemptions),
                     std::to_string(r.counters.failed_requests)});
      results.push_back(to_json(trace.name, r));
    }
    std::fputs(table.to_markdown().c_str(), stdout);
  }
  if (auto path = args.get("json")) {
    write_file(*path, nlohmann::json{{"results", results}}.dump(2) + "\n");
    std::fprintf(stderr, "replay: wrote %s\n", path->c_str());
  }
  return 0;
}

ODMA_COMMAND("replay", "replay a length trace through every KV policy (no model)", run_replay);

}  // namespace
}  // namespace odma::cli
