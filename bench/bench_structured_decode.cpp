// The cost of structured outputs in the engine: decode steps with every request under a JSON
// Schema (masks over the whole vocabulary each token) against the same steps unconstrained, at
// batch 1 and 16, on a real model directory (e.g. `odma model make-random --preset
// qwen2-0.5b-shape`). Repeats interleave the two, so the machine's drift hits both alike.
//
//   odma_bench_structured_decode MODEL_DIR SCHEMA_DIR [--batch 1,16] [--tokens 48] [--repeats 3]
//
// Only steps with the whole batch decoding count (prefill and the tail where requests end are
// left out). The schemas are the corpus as written (tests/grammar/schemas): unbounded strings keep
// a random model inside them, whose masks repeat; the first token of each new state pays a whole
// walk over the vocabulary (cold), which the p99 shows. Prints a table to paste.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/args.h"
#include "base/quantiles.h"
#include "grammar/grammar.h"
#include "serve/engine.h"

namespace {

using namespace odma;
using Clock = std::chrono::steady_clock;

std::vector<grammar::GrammarPtr> load_corpus(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<grammar::GrammarPtr> out;
  for (const auto& f : files)
    out.push_back(grammar::json_schema(nlohmann::json::parse(std::ifstream(f))));
  if (out.empty()) throw Error("no *.json schema in " + dir.string());
  return out;
}

struct RunResult {
  std::vector<double> step_s;  // full-batch decode steps
  double mask_s_per_token = 0.0;
};

RunResult run(std::shared_ptr<const model::Transformer> m, const tokenizer::Tokenizer& tok,
              const std::vector<grammar::GrammarPtr>& corpus, int batch, int tokens,
              bool constrained, std::uint64_t seed) {
  serve::EngineConfig c;
  c.policy = "odma";
  c.kv.capacity_tokens = static_cast<std::int64_t>(batch) * (tokens + 64);
  c.kv.max_model_len = tokens + 64;
  c.kv.prefix_caching = false;
  c.planner.max_batch = batch;
  serve::Engine e(m, c, tok);
  for (int i = 0; i < batch; ++i) {
    serve::RequestParams p;
    p.sampling.temperature = 1.0f;
    p.sampling.seed = seed + static_cast<std::uint64_t>(i);
    p.sampling.max_tokens = tokens;
    if (constrained) {
      p.grammar = corpus[(seed + static_cast<std::uint64_t>(i)) % corpus.size()];
    } else {
      p.sampling.ignore_eos = true;
    }
    (void)e.submit(tok.encode("Answer in JSON: the record number " + std::to_string(seed + i)), p);
  }
  RunResult r;
  while (!e.idle()) {
    const bool full = e.running() == static_cast<std::size_t>(batch) && e.waiting() == 0;
    const std::int64_t decodes_before = e.counters().decode_tokens;
    const auto t0 = Clock::now();
    (void)e.step();
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (full && e.counters().decode_tokens - decodes_before == batch) r.step_s.push_back(s);
  }
  const serve::EngineCounters& k = e.counters();
  if (k.grammar_masks > 0)
    r.mask_s_per_token = k.grammar_mask_s / static_cast<double>(k.grammar_masks);
  return r;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::vector<std::string> argv_list(argv + 1, argv + argc);
    Args args(argv_list, {});
    if (args.positionals().size() != 2) {
      std::fprintf(stderr,
                   "usage: odma_bench_structured_decode MODEL_DIR SCHEMA_DIR [--batch 1,16] "
                   "[--tokens 48] [--repeats 3]\n");
      return 2;
    }
    const std::filesystem::path dir = args.positionals()[0];
    const auto corpus = load_corpus(args.positionals()[1]);
    const int tokens = static_cast<int>(args.get_int("tokens", 48));
    const int repeats = static_cast<int>(args.get_int("repeats", 3));
    if (repeats < 1 || tokens < 2) throw Error("--repeats must be >= 1 and --tokens >= 2");
    std::vector<int> batches;
    std::stringstream list(args.get_or("batch", "1,16"));
    for (std::string b; std::getline(list, b, ',');) batches.push_back(std::stoi(b));
    args.reject_unknown({"batch", "tokens", "repeats"});
    std::shared_ptr<const model::Transformer> m = model::Transformer::load(dir, {});
    const tokenizer::Tokenizer tok = tokenizer::Tokenizer::load(dir);
    std::printf("%s: %zu schemas, %d tokens per request, %d interleaved repeats\n",
                dir.filename().c_str(), corpus.size(), tokens, repeats);
    std::printf(
        "| batch | step free ms | step constrained ms | constrained/free (median, range) | "
        "mask ms/token | mask share of step |\n|---|---|---|---|---|---|\n");
    // A discarded warm-up: the first pass over freshly mapped weights runs slower.
    (void)run(m, tok, corpus, batches.front(), tokens, false, 7);
    for (int b : batches) {
      std::vector<double> ratios, free_ms, con_ms, mask_ms;
      for (int r = 0; r < repeats; ++r) {
        const auto seed = static_cast<std::uint64_t>(1000 * r + b);
        const RunResult f = run(m, tok, corpus, b, tokens, false, seed);
        const RunResult c = run(m, tok, corpus, b, tokens, true, seed);
        free_ms.push_back(median(f.step_s) * 1e3);
        con_ms.push_back(median(c.step_s) * 1e3);
        ratios.push_back(median(c.step_s) / median(f.step_s));
        mask_ms.push_back(c.mask_s_per_token * 1e3);
      }
      std::sort(ratios.begin(), ratios.end());  // repeats >= 1 (checked above)
      const double lo = ratios.front(), hi = ratios.back();
      const double share = median(mask_ms) * b / median(con_ms);
      std::printf("| %d | %.1f | %.1f | %.3f× (%.3f–%.3f) | %.3f | %.1f%% |\n", b, median(free_ms),
                  median(con_ms), median(ratios), lo, hi, median(mask_ms), 100.0 * share);
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "odma_bench_structured_decode: %s\n", e.what());
    return 1;
  }
}
