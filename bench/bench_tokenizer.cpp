// Tokenizer throughput on one core over the Alpaca texts (Qwen2 byte-level BPE).
//   build*/bench/odma_bench_tokenizer [--benchmark_filter=Encode]
// MB/s counts input bytes for encode and output bytes for decode. "Cold" runs one pass with an
// empty word cache (a freshly loaded tokenizer); the others repeat passes with the cache warm,
// as a long-running server would.
#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>

#include "base/file_io.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"

namespace {

using odma::tokenizer::Tokenizer;

struct Corpus {
  std::vector<std::string> prompts;  // instruction, plus "\n\n" + input when there is one
  std::vector<std::string> outputs;
  std::size_t prompt_bytes = 0, output_bytes = 0;
};

const Corpus& corpus() {
  static const Corpus c = [] {
    Corpus k;
    auto records =
        nlohmann::json::parse(odma::read_file(odma::data_file("alpaca/alpaca_data_en.json")));
    for (const auto& r : records) {
      std::string prompt = r.at("instruction").get<std::string>();
      const auto& input = r.at("input").get_ref<const std::string&>();
      if (!input.empty()) prompt += "\n\n" + input;
      k.prompt_bytes += prompt.size();
      k.prompts.push_back(std::move(prompt));
      k.outputs.push_back(r.at("output").get<std::string>());
      k.output_bytes += k.outputs.back().size();
    }
    return k;
  }();
  return c;
}

const Tokenizer& qwen() {
  static const Tokenizer t = Tokenizer::load(odma::data_dir() / "tokenizer");
  return t;
}

void encode_all(benchmark::State& state, const std::vector<std::string>& texts, std::size_t bytes,
                const Tokenizer& tok) {
  std::size_t tokens = 0;
  for (auto _ : state) {
    tokens = 0;
    for (const auto& t : texts) tokens += tok.count_tokens(t);
    benchmark::DoNotOptimize(tokens);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.counters["tokens"] = static_cast<double>(tokens);
  state.counters["bytes/token"] = static_cast<double>(bytes) / static_cast<double>(tokens);
}

void BM_EncodeAlpacaPrompts(benchmark::State& state) {
  encode_all(state, corpus().prompts, corpus().prompt_bytes, qwen());
}
BENCHMARK(BM_EncodeAlpacaPrompts)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_EncodeAlpacaOutputs(benchmark::State& state) {
  encode_all(state, corpus().outputs, corpus().output_bytes, qwen());
}
BENCHMARK(BM_EncodeAlpacaOutputs)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// One pass over the prompts with an empty word cache: every word goes through BPE.
void BM_EncodeAlpacaPromptsCold(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    Tokenizer fresh = Tokenizer::load(odma::data_dir() / "tokenizer");
    state.ResumeTiming();
    std::size_t tokens = 0;
    for (const auto& t : corpus().prompts) tokens += fresh.count_tokens(t);
    benchmark::DoNotOptimize(tokens);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * corpus().prompt_bytes));
}
BENCHMARK(BM_EncodeAlpacaPromptsCold)->Unit(benchmark::kMillisecond)->Iterations(2);

void BM_DecodeAlpacaOutputs(benchmark::State& state) {
  std::vector<std::vector<std::int32_t>> ids;
  for (const auto& t : corpus().outputs) ids.push_back(qwen().encode(t));
  std::size_t bytes = 0;
  for (auto _ : state) {
    bytes = 0;
    for (const auto& v : ids) bytes += qwen().decode(v).size();
    benchmark::DoNotOptimize(bytes);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_DecodeAlpacaOutputs)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_StreamDecodePerToken(benchmark::State& state) {
  std::vector<std::int32_t> ids;
  for (std::size_t i = 0; i < 2000; ++i) {
    auto v = qwen().encode(corpus().outputs[i]);
    ids.insert(ids.end(), v.begin(), v.end());
  }
  odma::tokenizer::StreamDecoder stream(qwen());
  std::string out;
  for (auto _ : state) {
    for (std::int32_t id : ids) stream.push(id, out);
    out.clear();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * ids.size()));
}
BENCHMARK(BM_StreamDecodePerToken)->Unit(benchmark::kMillisecond);

void BM_LoadQwenTokenizer(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(Tokenizer::load(odma::data_dir() / "tokenizer"));
}
BENCHMARK(BM_LoadQwenTokenizer)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
