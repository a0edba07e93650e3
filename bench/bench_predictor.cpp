// Output-length predictor speed on one core: features + softmax + quantile per prompt, with the
// bundled model (data/predictor/alpaca-default.odmp) over Alpaca test prompts.
//   build*/bench/odma_bench_predictor [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include "predict/predictor.h"
#include "workload/dataset.h"

namespace {

using namespace odma::predict;
using namespace odma::workload;

const std::vector<Record>& prompts() {
  static const std::vector<Record> r = load_dataset("alpaca").split(Split::kTest);
  return r;
}

const Predictor& bundled() {
  static const Predictor p = Predictor::bundled();
  return p;
}

// The full prediction the KV policy asks for: LengthPrediction at the model's coverage.
void BM_PredictBundled(benchmark::State& state) {
  const auto& recs = prompts();
  const Predictor& p = bundled();
  std::size_t i = 0;
  for (auto _ : state) {
    const Record& r = recs[i++ % recs.size()];
    benchmark::DoNotOptimize(p.predict(r.prompt, r.prompt_tokens, 2048));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PredictBundled);

// Feature extraction alone.
void BM_Features(benchmark::State& state) {
  const auto& recs = prompts();
  FeatureExtractor fx(bundled().model().model.config().features);
  SparseFeatures f;
  std::size_t i = 0;
  for (auto _ : state) {
    const Record& r = recs[i++ % recs.size()];
    fx.extract(PromptInfo{r.prompt, r.prompt_tokens, 2048}, f);
    benchmark::DoNotOptimize(f.rows.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Features);

// Online update (one SGD step) per completed request.
void BM_Observe(benchmark::State& state) {
  const auto& recs = prompts();
  Predictor p = Predictor::bundled();
  std::size_t i = 0;
  for (auto _ : state) {
    const Record& r = recs[i++ % recs.size()];
    p.observe(r.prompt, r.prompt_tokens, 2048, r.output_tokens);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Observe);

}  // namespace
