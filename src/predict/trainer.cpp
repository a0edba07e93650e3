#include "predict/trainer.h"

#include <algorithm>
#include <barrier>
#include <cmath>
#include <thread>

#include "base/error.h"

namespace odma::predict {

namespace {

// y: the smoothed target over bins for true bin t.
void target(std::int32_t t, std::int32_t bins, float smoothing, float* y) {
  std::fill(y, y + bins, 0.0f);
  y[t] = 1.0f - smoothing;
  float half = smoothing / 2;
  (t > 0 ? y[t - 1] : y[t]) += half;
  (t + 1 < bins ? y[t + 1] : y[t]) += half;
}

void validate(const TrainConfig& c, std::size_t examples) {
  if (examples == 0) throw Error("predictor training: no training examples");
  if (c.epochs < 1) throw Error("predictor training: --epochs must be >= 1");
  if (c.threads < 1 || c.threads > 256)
    throw Error("predictor training: --threads must be in [1, 256]");
  if (c.batch_size < 1) throw Error("predictor training: batch size must be >= 1");
  if (!(c.learning_rate > 0)) throw Error("predictor training: learning rate must be > 0");
  if (!(c.l2 >= 0)) throw Error("predictor training: l2 must be >= 0");
  if (!(c.label_smoothing >= 0 && c.label_smoothing < 1))
    throw Error("predictor training: label smoothing must be in [0, 1)");
}

}  // namespace

// Drops the features whose row occurs in fewer than `min_count` examples (the bias row stays).
std::vector<TrainExample> without_rare_rows(const std::vector<TrainExample>& in, std::uint32_t rows,
                                            std::int32_t min_count) {
  std::vector<std::int32_t> count(rows, 0);
  std::vector<std::uint32_t> seen_in(rows, 0);  // example number + 1 that last counted a row
  for (std::size_t i = 0; i < in.size(); ++i)
    for (std::uint32_t r : in[i].features.rows)
      if (seen_in[r] != i + 1) seen_in[r] = static_cast<std::uint32_t>(i + 1), ++count[r];
  std::vector<TrainExample> out(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    out[i].output_tokens = in[i].output_tokens;
    const SparseFeatures& f = in[i].features;
    for (std::size_t k = 0; k < f.size(); ++k)
      if (f.rows[k] == 0 || count[f.rows[k]] >= min_count) {
        out[i].features.rows.push_back(f.rows[k]);
        out[i].features.values.push_back(f.values[k]);
      }
  }
  return out;
}

LengthModel train_length_model(const ModelConfig& config,
                               const std::vector<TrainExample>& all_examples, const TrainConfig& tc,
                               const EpochCallback& on_epoch) {
  validate(tc, all_examples.size());
  const std::vector<TrainExample> examples =
      without_rare_rows(all_examples, config.features.rows(), tc.min_row_count);
  LengthModel model(config);
  const std::int32_t nb = model.bins();
  const auto nthreads = static_cast<std::uint32_t>(tc.threads);
  const std::size_t n = examples.size();
  const std::size_t rows = config.features.rows();

  std::vector<std::int32_t> label(n);
  for (std::size_t i = 0; i < n; ++i) label[i] = bin_of(config.edges, examples[i].output_tokens);

  std::vector<std::uint32_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<std::uint32_t>(i);
  std::vector<float> delta(static_cast<std::size_t>(tc.batch_size) * nb);
  std::vector<float> grad(rows * nb, 0.0f);
  std::vector<float> accum(rows * nb, 0.0f);  // Adagrad Σg²
  std::vector<std::uint32_t> stamp(rows, 0);  // batch number that last touched a row (+1)
  std::vector<double> loss(nthreads, 0.0);

  std::barrier sync(static_cast<std::ptrdiff_t>(nthreads));
  std::vector<float>& w = model.weights();

  auto worker = [&](std::uint32_t t) {
    std::vector<float> y(static_cast<std::size_t>(nb));
    std::vector<std::uint32_t> touched;
    std::uint32_t batch_no = 0;
    for (std::int32_t epoch = 1; epoch <= tc.epochs; ++epoch) {
      if (t == 0) {
        SplitMix64 rng(tc.seed * 0x100000001B3ull + static_cast<std::uint64_t>(epoch));
        for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.next() % i]);
        std::fill(loss.begin(), loss.end(), 0.0);
      }
      sync.arrive_and_wait();
      for (std::size_t start = 0; start < n; start += static_cast<std::size_t>(tc.batch_size)) {
        const std::size_t count =
            std::min<std::size_t>(static_cast<std::size_t>(tc.batch_size), n - start);
        ++batch_no;
        // (A) per-sample error vectors.
        for (std::size_t j = t; j < count; j += nthreads) {
          const std::uint32_t i = order[start + j];
          float* d = delta.data() + j * nb;
          model.probabilities(examples[i].features, d);
          target(label[i], nb, tc.label_smoothing, y.data());
          for (std::int32_t b = 0; b < nb; ++b) {
            if (y[b] > 0) loss[t] -= y[b] * std::log(std::max(d[b], 1e-30f));
            d[b] -= y[b];
          }
        }
        sync.arrive_and_wait();
        // (B) gradient accumulation and Adagrad on this thread's rows, in sample order.
        const float scale = 1.0f / static_cast<float>(count);
        for (std::size_t j = 0; j < count; ++j) {
          const SparseFeatures& f = examples[order[start + j]].features;
          const float* d = delta.data() + j * nb;
          for (std::size_t k = 0; k < f.size(); ++k) {
            const std::uint32_t r = f.rows[k];
            if (r % nthreads != t) continue;
            if (stamp[r] != batch_no) {
              stamp[r] = batch_no;
              touched.push_back(r);
            }
            float* g = grad.data() + static_cast<std::size_t>(r) * nb;
            const float v = f.values[k] * scale;
            for (std::int32_t b = 0; b < nb; ++b) g[b] += v * d[b];
          }
        }
        for (std::uint32_t r : touched) {
          const std::size_t base = static_cast<std::size_t>(r) * nb;
          for (std::int32_t b = 0; b < nb; ++b) {
            float g = grad[base + b] + tc.l2 * w[base + b];
            accum[base + b] += g * g;
            w[base + b] -= tc.learning_rate * g / (std::sqrt(accum[base + b]) + 1e-6f);
            grad[base + b] = 0.0f;
          }
        }
        touched.clear();
        sync.arrive_and_wait();
      }
      if (t == 0 && on_epoch) {
        double total = 0.0;
        for (double l : loss) total += l;
        on_epoch(epoch, total / static_cast<double>(n), model);
      }
      sync.arrive_and_wait();
    }
  };

  std::vector<std::thread> pool;
  for (std::uint32_t t = 1; t < nthreads; ++t) pool.emplace_back(worker, t);
  worker(0);
  for (auto& th : pool) th.join();
  return model;
}

std::vector<TrainExample> make_examples(const FeatureExtractor& extractor,
                                        const std::vector<workload::Record>& records) {
  std::vector<TrainExample> out(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    extractor.extract(PromptInfo{records[i].prompt, records[i].prompt_tokens, 0}, out[i].features);
    out[i].output_tokens = records[i].output_tokens;
  }
  return out;
}

PredictorModel train_on_dataset(const workload::Dataset& dataset,
                                const DatasetTrainOptions& options, const EpochCallback& on_epoch) {
  std::vector<workload::Record> records;
  for (const workload::Record& r : dataset.records)
    if (std::find(options.splits.begin(), options.splits.end(), r.split) != options.splits.end())
      records.push_back(r);
  if (records.empty())
    throw Error("predictor training: dataset " + dataset.name +
                " has no records in the chosen splits");

  ModelConfig config;
  config.features.hash_bits = options.hash_bits;
  config.edges = log_spaced_edges(dataset.s3_max_output, options.bins);
  FeatureExtractor extractor(config.features);
  PredictorModel m;
  m.model = train_length_model(config, make_examples(extractor, records), options.train, on_epoch);
  quantize_weights(m.model);

  TrainingProvenance& p = m.provenance;
  p.dataset = dataset.name;
  p.index_space = index_space_of(dataset.name);
  for (workload::Split s : options.splits) p.splits.emplace_back(split_name(s));
  for (const workload::Record& r : records) p.indices.push_back(r.index);
  std::sort(p.indices.begin(), p.indices.end());
  p.indices.erase(std::unique(p.indices.begin(), p.indices.end()), p.indices.end());
  p.index_hash = hash_indices(p.indices);
  p.command = options.command;
  p.seed = options.train.seed;
  p.epochs = options.train.epochs;
  return m;
}

}  // namespace odma::predict
