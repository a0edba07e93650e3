// Grammar engine timings over the schema corpus (tests/grammar/schemas) and the Qwen2 vocabulary:
// compile time per schema, and fill_mask time per token along seeded random walks (each step picks
// a uniformly random allowed token; EOS as soon as the output may end), with the grammar's mask
// caches cold (a freshly compiled grammar; node masks shared across grammars may already be
// there) and warm (new walks on a grammar that already served some).
//
//   odma_bench_grammar [schema_dir] [walks_per_schema]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "base/file_io.h"
#include "grammar/grammar.h"
#include "grammar/matcher.h"
#include "grammar/tokenizer_vocabulary.h"
#include "tokenizer/tokenizer.h"

namespace {

using Clock = std::chrono::steady_clock;
using odma::grammar::GrammarPtr;
using odma::grammar::Matcher;
using odma::grammar::TokenMask;
using odma::grammar::VocabularyPtr;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// One walk of at most `steps` tokens; appends each fill_mask time (ms). A uniformly random token
// almost never closes a string (few tokens contain '"'), so like a model that does finish its
// values, one step in five picks among the allowed tokens that contain a closing character.
int started = 0;
int ended = 0;

void walk(const GrammarPtr& g, const VocabularyPtr& v, unsigned seed, int steps,
          std::vector<double>& times) {
  ++started;
  std::mt19937 rng(seed);
  Matcher m(g, v);
  TokenMask mask;
  std::vector<std::int32_t> ids;
  for (int i = 0; i < steps && !m.finished(); ++i) {
    auto t0 = Clock::now();
    m.fill_mask(mask);
    times.push_back(ms_since(t0));
    std::int32_t token = v->eos_ids()[0];
    if (!m.can_end()) {
      bool closing = rng() % 5 == 0;
      ids.clear();
      for (int pass = 0; pass < 2 && ids.empty(); ++pass) {
        for (std::int32_t id = 0; id < mask.size(); ++id) {
          if (!mask.allowed(id)) continue;
          if (pass == 0 && closing &&
              v->bytes(id).find_first_of("\"}]") == std::string_view::npos) {
            continue;
          }
          ids.push_back(id);
        }
      }
      token = ids[std::uniform_int_distribution<std::size_t>(0, ids.size() - 1)(rng)];
    }
    if (!m.accept(token)) {
      std::fprintf(stderr, "accept refused an allowed token\n");
      std::exit(1);
    }
  }
  ended += m.finished();
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path dir = argc > 1 ? std::filesystem::path(argv[1])
                                       : odma::data_dir().parent_path() / "tests/grammar/schemas";
  int walks = argc > 2 ? std::atoi(argv[2]) : 3;
  constexpr int kSteps = 200;
  constexpr int kCompiles = 20;

  auto tok = odma::tokenizer::Tokenizer::load(odma::data_dir() / "tokenizer");
  std::vector<std::int32_t> eos = {*tok.token_id("<|endoftext|>"), *tok.token_id("<|im_end|>")};
  auto t0 = Clock::now();
  VocabularyPtr vocab = odma::grammar::vocabulary_from_tokenizer(tok, eos, 151936);
  std::printf("vocabulary: %d ids, built (with trie) in %.1f ms\n\n", vocab->size(), ms_since(t0));

  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".json") {
      files.emplace_back(e.path().stem().string(), odma::read_file(e.path()));
    }
  }
  std::sort(files.begin(), files.end());

  // Node masks of small sub-automata (the string loop, numbers) are shared across grammars, so
  // only the process's first grammar pays for them: time one walk before anything is shared.
  if (!files.empty()) {
    std::vector<double> first;
    walk(odma::grammar::json_schema_text(files[0].second), vocab, 1, kSteps, first);
    std::printf("first walk in the process (%s, %zu tokens): mask p50 %.1f µs, max %.2f ms\n\n",
                files[0].first.c_str(), first.size(), 1000 * percentile(first, 0.5),
                percentile(first, 1.0));
  }

  std::printf(
      "| schema | compile p50 ms | compile p99 ms | tokens | cold p50 µs | cold p99 ms | "
      "cold max ms | warm p50 µs | warm p99 ms |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  std::vector<double> all_compile, all_cold, all_warm;
  for (const auto& [name, text] : files) {
    std::vector<double> compile;
    GrammarPtr g;
    for (int i = 0; i < kCompiles; ++i) {
      auto c0 = Clock::now();
      g = odma::grammar::json_schema_text(text);
      compile.push_back(ms_since(c0));
    }
    std::vector<double> cold, warm;
    for (int w = 0; w < walks; ++w) {  // a fresh grammar per walk: empty caches
      walk(odma::grammar::json_schema_text(text), vocab, 100 + static_cast<unsigned>(w), kSteps,
           cold);
    }
    for (int w = 0; w < walks; ++w) walk(g, vocab, 100 + static_cast<unsigned>(w), kSteps, warm);
    std::vector<double> fresh;  // measured: new seeds on the grammar that served the walks above
    for (int w = 0; w < walks; ++w) walk(g, vocab, 200 + static_cast<unsigned>(w), kSteps, fresh);
    std::printf("| %s | %.2f | %.2f | %zu | %.1f | %.2f | %.1f | %.1f | %.2f |\n", name.c_str(),
                percentile(compile, 0.5), percentile(compile, 0.99), cold.size(),
                1000 * percentile(cold, 0.5), percentile(cold, 0.99), percentile(cold, 1.0),
                1000 * percentile(fresh, 0.5), percentile(fresh, 0.99));
    all_compile.insert(all_compile.end(), compile.begin(), compile.end());
    all_cold.insert(all_cold.end(), cold.begin(), cold.end());
    all_warm.insert(all_warm.end(), fresh.begin(), fresh.end());
  }
  auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return v.empty() ? 0 : s / static_cast<double>(v.size());
  };
  std::printf("| **all** | %.2f | %.2f | %zu | %.1f | %.2f | %.1f | %.1f | %.2f |\n\n",
              percentile(all_compile, 0.5), percentile(all_compile, 0.99), all_cold.size(),
              1000 * percentile(all_cold, 0.5), percentile(all_cold, 0.99),
              percentile(all_cold, 1.0), 1000 * percentile(all_warm, 0.5),
              percentile(all_warm, 0.99));
  std::printf(
      "mask mean per token: cold %.3f ms, warm %.3f ms (%zu / %zu tokens); walks that "
      "ended: %d of %d\n",
      mean(all_cold), mean(all_warm), all_cold.size(), all_warm.size(), ended, started);
  return 0;
}
