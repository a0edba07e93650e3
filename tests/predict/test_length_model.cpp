#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "base/error.h"
#include "kv/s3_buckets.h"
#include "predict/length_model.h"
#include "predict/metrics.h"
#include "predict/model_file.h"
#include "predict/predict_fixture.h"
#include "predict/trainer.h"
#include "test_scale.h"

namespace odma::predict {
namespace {

TEST(LengthBins, LogSpacedEdgesAreStrictAndCoverTheRange) {
  for (auto [max, bins] : {std::pair{2048, 32}, {512, 24}, {40, 32}, {32, 32}}) {
    auto e = log_spaced_edges(max, bins);
    ASSERT_EQ(e.size(), static_cast<std::size_t>(bins) + 1);
    EXPECT_EQ(e.front(), 0);
    EXPECT_EQ(e.back(), max);
    for (std::size_t i = 1; i < e.size(); ++i) EXPECT_GT(e[i], e[i - 1]);
  }
  EXPECT_THROW(log_spaced_edges(10, 11), Error);
  EXPECT_THROW(log_spaced_edges(10, 0), Error);
}

TEST(LengthBins, BinOfMatchesTheEdges) {
  auto e = log_spaced_edges(2048, 32);
  for (std::int32_t len = -3; len <= 2100; ++len) {
    std::int32_t b = bin_of(e, len);
    std::int32_t clamped = std::clamp(len, 1, 2048);
    ASSERT_LT(e[static_cast<std::size_t>(b)], clamped) << len;
    ASSERT_LE(clamped, e[static_cast<std::size_t>(b) + 1]) << len;
  }
  // The S3 classifier's classes are exactly the S3 buckets.
  const kv::S3Buckets buckets(2048, 10);
  std::vector<std::int32_t> s3 = {0};
  s3.insert(s3.end(), buckets.uppers().begin(), buckets.uppers().end());
  for (std::int32_t len = 1; len <= 2048; ++len)
    ASSERT_EQ(bin_of(s3, len), buckets.bucket_of(len)) << len;
}

// Bins (0,10], (10,20], (20,40] with p = 0.5, 0.3, 0.2: uniform within a bin.
TEST(Distribution, QuantileMeanAndBucketMassByHand) {
  auto edges =
      std::make_shared<const std::vector<std::int32_t>>(std::vector<std::int32_t>{0, 10, 20, 40});
  Distribution d(edges, {0.5f, 0.3f, 0.2f});
  EXPECT_EQ(d.quantile(0.5), 10);
  EXPECT_EQ(d.quantile(0.05), 1);
  EXPECT_EQ(d.quantile(0.65), 15);  // 0.5 + 0.3·5/10
  EXPECT_EQ(d.quantile(0.9), 30);   // 0.8 + 0.2·10/20
  EXPECT_EQ(d.quantile(1.0), 40);
  EXPECT_NEAR(d.mean(), 0.5 * 5.5 + 0.3 * 15.5 + 0.2 * 30.5, 1e-5);
  // Buckets (0,15], (15,40]: 0.5 + 0.3·5/10, then the rest.
  auto m = d.bucket_mass({15, 40});
  EXPECT_NEAR(m[0], 0.65, 1e-6);
  EXPECT_NEAR(m[1], 0.35, 1e-6);
  EXPECT_EQ(d.bucket_mode({15, 40}), 0);
  EXPECT_EQ(d.bucket_mode({5, 40}), 1);  // 0.25 vs 0.75
  // Lengths past the last bound count in the last bucket.
  auto past = d.bucket_mass({10, 20});
  EXPECT_NEAR(past[1], 0.5, 1e-6);
  EXPECT_NEAR(d.uncertainty(), (std::log(d.quantile(0.95)) - std::log(10.0)) / std::log(40.0),
              1e-9);
  auto p = d.to_prediction(0.9);
  EXPECT_EQ(p.output_tokens, 30);
}

TEST(LengthModel, LearnsSyntheticIntents) {
  const workload::Dataset ds = fixture::synthetic_dataset(odma::testing::scaled(3000, 600));
  PredictorModel m = train_on_dataset(ds, fixture::small_train_options());
  const kv::S3Buckets s3(2048, 10);
  std::int64_t n = 0, close = 0;
  for (const workload::Record& r : ds.split(workload::Split::kTest)) {
    Distribution d = m.model.predict(PromptInfo{r.prompt, r.prompt_tokens, 0});
    ++n;
    // Within 40% (or 3 tokens) of the truth: the intents are 1–3, 35–105 and 300–400 tokens.
    close += std::abs(d.median() - r.output_tokens) <= std::max(3.0, 0.4 * r.output_tokens);
    EXPECT_EQ(d.bucket_mode(s3.uppers()), s3.bucket_of(r.output_tokens)) << r.prompt;
  }
  EXPECT_GT(static_cast<double>(close) / static_cast<double>(n), 0.9);
}

TEST(Trainer, SameSeedSameBytesForAnyThreadCount) {
  const workload::Dataset ds = fixture::synthetic_dataset(odma::testing::scaled(1500, 300));
  DatasetTrainOptions o = fixture::small_train_options();
  o.train.seed = 7;
  o.train.threads = 2;
  const std::string two = serialize_model(train_on_dataset(ds, o));
  EXPECT_EQ(two, serialize_model(train_on_dataset(ds, o)));
  o.train.threads = 1;
  EXPECT_EQ(two, serialize_model(train_on_dataset(ds, o)));
  o.train.threads = 3;
  EXPECT_EQ(two, serialize_model(train_on_dataset(ds, o)));
  o.train.seed = 8;
  EXPECT_NE(two, serialize_model(train_on_dataset(ds, o)));
}

TEST(Trainer, RecordsProvenanceOfTheTrainSplitOnly) {
  const workload::Dataset ds = fixture::synthetic_dataset(200);
  PredictorModel m = train_on_dataset(ds, fixture::small_train_options());
  EXPECT_EQ(m.provenance.dataset, "synthetic");
  EXPECT_EQ(m.provenance.splits, std::vector<std::string>{"train"});
  ASSERT_EQ(m.provenance.indices.size(), 160u);
  for (std::int64_t i : m.provenance.indices)
    EXPECT_EQ(workload::split_of(i), workload::Split::kTrain);
  EXPECT_EQ(m.provenance.index_hash, hash_indices(m.provenance.indices));
}

TEST(Trainer, RejectsBadConfig) {
  ModelConfig c;
  c.features.hash_bits = 8;
  c.edges = log_spaced_edges(64, 8);
  std::vector<TrainExample> none;
  EXPECT_THROW(train_length_model(c, none, TrainConfig{}), Error);
  std::vector<TrainExample> one(1);
  one[0].output_tokens = 3;
  TrainConfig bad;
  bad.epochs = 0;
  EXPECT_THROW(train_length_model(c, one, bad), Error);
  bad = TrainConfig{};
  bad.threads = 0;
  EXPECT_THROW(train_length_model(c, one, bad), Error);
  ModelConfig bad_edges = c;
  bad_edges.edges = {0, 5, 5, 9};
  EXPECT_THROW(LengthModel{bad_edges}, Error);
}

}  // namespace
}  // namespace odma::predict
