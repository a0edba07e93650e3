// Training the length model: softmax regression with Adagrad on mini-batches, in parallel, and
// bit-reproducible.
//
// Determinism (same seed ⇒ identical weights, for ANY thread count): each mini-batch runs in two
// phases separated by barriers. (A) threads compute the per-sample error vectors δ_i = p_i − y_i
// (samples split among threads; each δ_i depends only on the weights, not on who computes it).
// (B) threads own disjoint weight rows (row % threads == t); each walks the batch in sample order
// and accumulates g[row] += value · δ_i, then applies Adagrad to its rows. Every floating-point sum
// is thus taken in the same order whatever the thread count. The shuffle is our own splitmix64
// Fisher–Yates.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "base/rng.h"  // SplitMix64: training shuffles and the noisy predictor
#include "predict/features.h"
#include "predict/length_model.h"
#include "predict/model_file.h"
#include "workload/dataset.h"

namespace odma::predict {

struct TrainExample {
  SparseFeatures features;
  std::int32_t output_tokens = 0;  // the target length
};

struct TrainConfig {
  std::uint64_t seed = 1;
  std::int32_t epochs = 3;
  std::int32_t threads = 2;
  std::int32_t batch_size = 32;
  float learning_rate = 0.05f;   // Adagrad step size
  float l2 = 1e-6f;              // weight decay on the rows a batch touches
  float label_smoothing = 0.3f;  // target mass moved from the true bin to its two neighbours
                                 // (ordinal prior: neighbouring lengths are alike); 0 = hard labels
  std::int32_t min_row_count = 3;  // feature rows seen in fewer examples stay zero: rare n-grams
                                   // only memorise, and dropping them keeps the file small
};

// Called after each epoch (from one thread while the others wait) with the epoch (1-based) and the
// mean train loss. It must not throw: the other threads wait at a barrier.
using EpochCallback =
    std::function<void(std::int32_t epoch, double loss, const LengthModel& model)>;

// Trains from zero weights. Throws odma::Error on an invalid config or no examples.
LengthModel train_length_model(const ModelConfig& config, const std::vector<TrainExample>& examples,
                               const TrainConfig& train, const EpochCallback& on_epoch = {});

// Training on a shipped dataset's records (the `odma predictor train` pipeline).
struct DatasetTrainOptions {
  TrainConfig train;
  std::uint32_t hash_bits = 18;
  std::int32_t bins = 32;  // log-spaced over [1, dataset.s3_max_output]
  std::vector<workload::Split> splits = {
      workload::Split::kTrain};  // only ever add val/test knowingly: eval refuses
  std::string command;           // recorded in the model file
};

std::vector<TrainExample> make_examples(const FeatureExtractor& extractor,
                                        const std::vector<workload::Record>& records);

// Features + training + int8 quantisation + provenance (dataset, splits, record indices).
PredictorModel train_on_dataset(const workload::Dataset& dataset,
                                const DatasetTrainOptions& options,
                                const EpochCallback& on_epoch = {});

}  // namespace odma::predict
