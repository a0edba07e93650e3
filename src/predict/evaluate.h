// `odma predictor eval`: every length predictor on a dataset's TEST split, under one protocol
// (DESIGN.md "Evaluation protocol"; formulas in metrics.h).
//
// Rows (all fitted on the TRAIN split only; choices tuned on VAL):
//   majority class: the most frequent S3 (and adaptive) bucket; point = mean train length in it.
//   mean: the mean train length.
//   S3 classifier: the same features, a 10-class softmax over equal-width buckets (S3's predictor);
//     point = mean train length of the predicted bucket; reserve = the bucket's top.
//   odma: the length distribution. S3/adaptive bucket from the estimator most accurate on VAL
//     (bucket-marginal mode, mean or a quantile q in [0.5, 0.9]); MAE of the median; Kendall tau of
//     the mean; reserve = the quantile at the model's coverage (0.95).
// Adaptive buckets: kv::AdaptiveBuckets (16 buckets, granule 16) fitted to the train lengths.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "predict/model_file.h"
#include "predict/trainer.h"
#include "workload/dataset.h"

namespace odma::predict {

struct EvalRow {
  std::string predictor;
  double s3_accuracy = 0;
  double adaptive_accuracy = 0;
  double mae = 0;
  double kendall_tau = 0;
  double coverage = 0;
  double under_reserved = 0;        // share of requests longer than reserved: 1 − coverage
  double reserved_over_actual = 0;  // Σ reserved ÷ Σ true output tokens
  double over_reservation = 0;      // mean max(0, reserved − true), tokens
  double us_per_prediction = 0;     // CPU time of one thread, features included
  std::int64_t model_bytes = 0;     // serialized size (0 for the constant baselines)
};

struct DatasetEvaluation {
  std::string dataset;
  std::string caption;  // says which odma model was used and how it was obtained
  std::int64_t test_records = 0;
  std::vector<std::int32_t> adaptive_upper;                // the fitted adaptive bucket edges
  std::string odma_s3_estimator, odma_adaptive_estimator;  // chosen on VAL
  std::vector<EvalRow> rows;
  // The model of the odma row (the given one, or the one trained here): what a KV replay of the
  // test split runs (`odma predictor eval` prints migrations and copied tokens per request).
  std::shared_ptr<const PredictorModel> odma_model;
};

struct EvalOptions {
  DatasetTrainOptions train;  // for models trained in-process (S3 classifier, odma when needed)
  std::int32_t adaptive_buckets = 16;
  std::int32_t adaptive_granule = 16;
  bool time_predictions = true;  // false: us_per_prediction = 0 (tests)
};

// Throws odma::Error if `model` was trained on any record of `dataset`'s test split.
void check_disjoint_from_test(const PredictorModel& model, const workload::Dataset& dataset,
                              const std::string& model_name);

// `model` (may be null): used for `dataset` when it was trained on exactly this dataset's train
// split records; otherwise an odma model is trained in-process on the train split (the caption says
// so). A model that overlaps the test split is refused (odma::Error) before anything runs.
DatasetEvaluation evaluate_dataset(const workload::Dataset& dataset, const PredictorModel* model,
                                   const std::string& model_name, const EvalOptions& options);

std::string format_evaluation(const DatasetEvaluation& e);  // caption + Markdown table
std::string evaluations_json(const std::vector<DatasetEvaluation>& evals);

}  // namespace odma::predict
