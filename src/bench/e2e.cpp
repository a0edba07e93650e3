#include "bench/e2e.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <string_view>
#include <thread>

#include "base/error.h"
#include "model/timed_kernels.h"
#include "serve/engine.h"
#include "workload/prefix_blocks.h"

namespace odma::bench {
namespace {

std::vector<std::int32_t> prompt_ids(std::size_t index, std::int32_t n, int vocab) {
  std::mt19937_64 rng(0x9e3779b97f4a7c15ULL ^ index);  // the engine is specified; no distribution
  std::vector<std::int32_t> ids(static_cast<std::size_t>(n));
  const auto v = static_cast<std::uint64_t>(std::max(1, vocab - 2));  // leave the special ids
  for (auto& t : ids) t = static_cast<std::int32_t>(rng() % v);
  return ids;
}

}  // namespace

BenchPolicy parse_bench_policy(const std::string& full) {
  std::string name = full;
  bool caching = true;
  kv::GrowthRule growth = kv::GrowthRule::kNextBucket;
  auto strip = [&name](std::string_view suffix) {
    if (name.size() <= suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
      return false;
    name.resize(name.size() - suffix.size());
    return true;
  };
  if (strip("/conditioned")) growth = kv::GrowthRule::kConditioned;
  if (strip("/nocache")) caching = false;
  if (name.rfind("paged-", 0) != 0) return {name, 16, caching, growth};
  const std::string n = name.substr(6);
  std::int32_t tokens = 0;
  try {
    std::size_t used = 0;
    tokens = std::stoi(n, &used);
    if (used != n.size()) tokens = 0;
  } catch (const std::exception&) {
    tokens = 0;
  }
  if (tokens < 1) throw Error("bench: \"" + name + "\": paged-N needs a block size N >= 1");
  return {"paged", tokens, caching, growth};
}

E2eResult run_e2e(std::shared_ptr<const model::Transformer> model, const E2eRun& run,
                  const std::string& policy) {
  const BenchPolicy bp = parse_bench_policy(policy);
  serve::EngineConfig config;
  config.policy = bp.policy;
  config.kv.block_tokens = bp.block_tokens;
  config.kv.prefix_caching = bp.prefix_caching;
  config.kv.capacity_tokens = run.capacity;
  config.kv.max_model_len = run.max_model_len;
  config.max_output_tokens = run.max_tokens;  // also S3's range (kv/session.h)
  config.kv.odma.max_extents = run.odma_max_extents;
  config.kv.odma.growth = bp.growth;
  config.arena = run.arena;
  const int vocab = model->config().vocab_size;
  const auto* timed = dynamic_cast<const model::TimedKernels*>(&model->kernels());
  if (timed != nullptr) timed->reset();
  serve::Engine engine(std::move(model), config);

  const auto& reqs = run.trace.requests;
  std::vector<std::vector<std::int32_t>> prompts;
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    if (!reqs[i].prefix_blocks.empty() && run.trace.block_tokens > 0) {
      prompts.push_back(workload::synthesize_prompt(
          reqs[i].prefix_blocks, reqs[i].prompt_tokens, run.trace.block_tokens,
          std::min(1000, vocab / 2), std::max(2, vocab - 2)));
    } else {
      prompts.push_back(prompt_ids(i, reqs[i].prompt_tokens, vocab));
    }
  }
  std::vector<serve::RequestOutput> outputs;
  const double t0 = engine.now_s();
  std::size_t next = 0;
  while (next < reqs.size() || !engine.idle()) {
    const double now = engine.now_s() - t0;
    while (next < reqs.size() && (run.offline || reqs[next].arrival_s <= now)) {
      serve::RequestParams p;
      p.sampling.max_tokens = run.max_tokens_is_output ? reqs[next].output_tokens : run.max_tokens;
      p.sampling.ignore_eos = true;
      p.forced_output_tokens = reqs[next].output_tokens;
      p.prediction = run.predictions[next];
      const double arrival = t0 + (run.offline ? 0.0 : reqs[next].arrival_s);
      (void)engine.submit(prompts[next], p, arrival);
      ++next;
    }
    if (engine.idle()) {  // nothing to run until the next arrival
      const double wait = reqs[next].arrival_s - (engine.now_s() - t0);
      if (wait > 0) std::this_thread::sleep_for(std::chrono::duration<double>(wait));
      continue;
    }
    (void)engine.step();
    for (serve::RequestOutput& o : engine.take_finished()) outputs.push_back(std::move(o));
  }
  const double wall = engine.now_s() - t0;
  for (serve::RequestOutput& o : engine.take_finished()) outputs.push_back(std::move(o));

  E2eResult r;
  r.workload = run.workload;
  r.policy = policy;
  r.summary = serve::summarize(outputs, wall);
  r.kv_utilization = engine.meter().kv_utilization();
  r.capacity_usage = engine.meter().capacity_usage();
  r.mean_batch = engine.meter().mean_concurrency();
  const kv::KvCounters k = engine.policy().counters();
  r.migrations = k.migrations;
  r.preemptions = k.preemptions;
  r.failed_requests = engine.counters().failed + k.failed_requests;
  r.copied_slots = engine.counters().copied_slots;
  r.prefix_queries = k.prefix_queries;
  r.prefix_hits = k.prefix_hits;
  r.forward_s = engine.counters().forward_s;
  if (timed != nullptr) {
    const model::KernelTimes t = timed->times();
    r.attention_s = t.attention_s;
    r.project_s = t.project_s;
  }
  return r;
}

}  // namespace odma::bench
