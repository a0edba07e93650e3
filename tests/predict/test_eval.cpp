#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "kv/s3_buckets.h"
#include "predict/evaluate.h"
#include "predict/metrics.h"
#include "predict/predict_fixture.h"
#include "predict/predictor_source.h"

namespace odma::predict {
namespace {

EvalOptions options() {
  EvalOptions o;
  o.train = fixture::small_train_options();
  o.time_predictions = false;
  return o;
}

const EvalRow& row(const DatasetEvaluation& e, const std::string& name) {
  for (const EvalRow& r : e.rows)
    if (r.predictor == name) return r;
  throw std::runtime_error("no row " + name);
}

TEST(Eval, SmallFixtureWithKnownNumbers) {
  const workload::Dataset ds = fixture::synthetic_dataset(900);
  const DatasetEvaluation e = evaluate_dataset(ds, nullptr, "none", options());
  ASSERT_EQ(e.rows.size(), 4u);
  const auto train = ds.split(workload::Split::kTrain), test = ds.split(workload::Split::kTest);
  EXPECT_EQ(e.test_records, static_cast<std::int64_t>(test.size()));

  // Reference numbers straight from the records.
  double mean = 0;
  for (const workload::Record& r : train) mean += r.output_tokens;
  mean /= static_cast<double>(train.size());
  const kv::S3Buckets buckets(2048, 10);
  double in_bucket0 = 0, abs_err = 0, under_mean = 0;
  for (const workload::Record& r : test) {
    in_bucket0 += buckets.bucket_of(r.output_tokens) == 0;
    abs_err += std::fabs(mean - r.output_tokens);
    under_mean += r.output_tokens <= std::ceil(mean);
  }
  const double n = static_cast<double>(test.size());
  EXPECT_DOUBLE_EQ(row(e, "majority class").s3_accuracy,
                   in_bucket0 / n);  // bucket 0 is 2/3 of train
  EXPECT_DOUBLE_EQ(row(e, "majority class").kendall_tau, 0.0);
  EXPECT_NEAR(row(e, "mean").mae, abs_err / n, 1e-9);
  EXPECT_DOUBLE_EQ(row(e, "mean").coverage, under_mean / n);

  // Intent decides the S3 bucket here, so both learned predictors must get every bucket right, and
  // odma's distribution must rank and size far better than the 10-class classifier.
  const EvalRow& s3 = row(e, "S3 classifier");
  const EvalRow& odma = row(e, "odma");
  EXPECT_DOUBLE_EQ(s3.s3_accuracy, 1.0);
  EXPECT_DOUBLE_EQ(odma.s3_accuracy, 1.0);
  EXPECT_LT(odma.mae, s3.mae);
  EXPECT_GT(odma.kendall_tau, s3.kendall_tau);
  EXPECT_GT(odma.kendall_tau, 0.6);  // within an intent the jitter is unpredictable
  EXPECT_GE(odma.coverage, 0.85);
  EXPECT_LT(odma.over_reservation, s3.over_reservation);
  EXPECT_GT(odma.model_bytes, 0);
  EXPECT_NE(e.caption.find("trained in-process"), std::string::npos);

  auto j = nlohmann::json::parse(evaluations_json({e}));
  const auto& rows = j.at("datasets").at("synthetic").at("rows");
  ASSERT_EQ(rows.size(), 4u);
  for (const char* key : {"predictor", "s3_accuracy", "adaptive_accuracy", "mae", "kendall_tau",
                          "coverage", "over_reservation", "us_per_prediction"})
    EXPECT_TRUE(rows[3].contains(key)) << key;
  EXPECT_EQ(rows[3].at("predictor"), "odma");
  EXPECT_NE(format_evaluation(e).find("| odma"), std::string::npos);
}

TEST(Eval, UsesAModelTrainedOnThisDatasetsTrainSplit) {
  const workload::Dataset ds = fixture::synthetic_dataset(600);
  const PredictorModel m = train_on_dataset(ds, fixture::small_train_options());
  const DatasetEvaluation e = evaluate_dataset(ds, &m, "given.odmp", options());
  EXPECT_NE(e.caption.find("given.odmp"), std::string::npos);
  EXPECT_EQ(e.caption.find("in-process"), std::string::npos);
  EXPECT_EQ(row(e, "odma").model_bytes, static_cast<std::int64_t>(serialize_model(m).size()));
}

TEST(Eval, RefusesAModelTrainedOnTheTestSplit) {
  const workload::Dataset ds = fixture::synthetic_dataset(300);
  DatasetTrainOptions o = fixture::small_train_options();
  o.splits = {workload::Split::kTrain, workload::Split::kTest};
  const PredictorModel leaky = train_on_dataset(ds, o);
  try {
    (void)evaluate_dataset(ds, &leaky, "leaky.odmp", options());
    FAIL() << "a model trained on the test split was evaluated";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("refusing"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("leaky.odmp"), std::string::npos) << e.what();
  }
  // The same leak survives a save/load (the record indices are in the file).
  const PredictorModel loaded = parse_model(serialize_model(leaky), "leaky.odmp");
  EXPECT_THROW(check_disjoint_from_test(loaded, ds, "leaky.odmp"), Error);
  // Another index space cannot overlap.
  workload::Dataset other = ds;
  other.name = "nq";
  EXPECT_NO_THROW(check_disjoint_from_test(loaded, other, "leaky.odmp"));
}

TEST(PredictorSource, OracleAndNoisy) {
  workload::TraceRequest r;
  r.id = "req-1";
  r.output_tokens = 200;
  auto oracle = make_predictor_source("oracle", 1);
  EXPECT_EQ(oracle->predict(r, 0).output_tokens, 200);
  EXPECT_EQ(oracle->predict(r, 0).true_output_tokens, 200);
  EXPECT_EQ(oracle->predict(r, 100).output_tokens, 100);  // capped

  EXPECT_EQ(make_predictor_source("noisy:0", 3)->predict(r, 0).output_tokens, 200);
  auto a = make_predictor_source("noisy:0.5", 3), b = make_predictor_source("noisy:0.5", 3),
       c = make_predictor_source("noisy:0.5", 4);
  int differ = 0, above = 0;
  for (int i = 0; i < 400; ++i) {
    r.id = "req-" + std::to_string(i);
    const auto pa = a->predict(r, 0);
    EXPECT_EQ(pa.output_tokens, b->predict(r, 0).output_tokens);  // same id + seed → same error
    EXPECT_EQ(pa.true_output_tokens, 200);
    differ += pa.output_tokens != c->predict(r, 0).output_tokens;
    above += pa.output_tokens > 200;
  }
  EXPECT_GT(differ, 300);
  EXPECT_GT(above, 140);  // median error ≈ 0: about half above
  EXPECT_LT(above, 260);
}

TEST(PredictorSource, BadSpecsThrow) {
  for (const char* spec : {"noisy:", "noisy:abc", "noisy:-1", "noisy:1x", "guess",
                           "model:", "model:/nonexistent/odma.odmp"})
    EXPECT_THROW(make_predictor_source(spec, 1), Error) << spec;
}

}  // namespace
}  // namespace odma::predict
