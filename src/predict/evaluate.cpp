#include "predict/evaluate.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/table.h"
#include "kv/adaptive_buckets.h"
#include "kv/s3_buckets.h"
#include "predict/metrics.h"

namespace odma::predict {
namespace {

constexpr std::int32_t kS3Buckets = 10;

struct Labels {
  std::vector<std::int32_t> length, s3, adaptive;
  std::vector<double> length_d;
};

Labels labels_of(const std::vector<workload::Record>& records, const kv::S3Buckets& s3,
                 const std::vector<std::int32_t>& adaptive_upper) {
  Labels l;
  for (const workload::Record& r : records) {
    l.length.push_back(r.output_tokens);
    l.length_d.push_back(r.output_tokens);
    l.s3.push_back(s3.bucket_of(r.output_tokens));
    l.adaptive.push_back(bucket_of(adaptive_upper, r.output_tokens));
  }
  return l;
}

// The adaptive bucket edges kv::AdaptiveBuckets settles on for the train lengths (no decay, one
// recalibration over all of them).
std::vector<std::int32_t> fit_adaptive(const std::vector<workload::Record>& train,
                                       std::int32_t max_length, const EvalOptions& o) {
  kv::AdaptiveBucketsConfig c;
  c.max_length = max_length;
  c.buckets = o.adaptive_buckets;
  c.granule = o.adaptive_granule;
  c.recalibrate_every = static_cast<std::int32_t>(std::max<std::size_t>(1, train.size()) + 1);
  c.half_life = 1e15;
  kv::AdaptiveBuckets buckets(c);
  for (const workload::Record& r : train) (void)buckets.observe(std::max(1, r.output_tokens));
  buckets.recalibrate();
  return buckets.edges();
}

EvalRow score(std::string name, const Labels& truth, const std::vector<std::int32_t>& s3,
              const std::vector<std::int32_t>& adaptive, const std::vector<double>& point,
              const std::vector<double>& rank, const std::vector<std::int32_t>& reserved) {
  EvalRow row;
  row.predictor = std::move(name);
  row.s3_accuracy = bucket_accuracy(truth.s3, s3);
  row.adaptive_accuracy = bucket_accuracy(truth.adaptive, adaptive);
  row.mae = mean_absolute_error(truth.length, point);
  row.kendall_tau = kendall_tau(rank, truth.length_d);
  row.coverage = coverage(truth.length, reserved);
  row.under_reserved = 1.0 - row.coverage;
  double reserved_sum = 0, true_sum = 0;
  for (std::size_t i = 0; i < reserved.size(); ++i) {
    reserved_sum += reserved[i];
    true_sum += truth.length[i];
  }
  row.reserved_over_actual = true_sum > 0 ? reserved_sum / true_sum : 0.0;
  row.over_reservation = mean_over_reservation(truth.length, reserved);
  return row;
}

// CPU time of this thread, so that other load on the machine does not inflate the figure.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

template <typename F>
double micros_per_call(std::size_t n, F&& f) {
  for (std::size_t i = 0; i < std::min<std::size_t>(n, 200); ++i) f(i);  // warm caches and buffers
  const std::size_t reps = std::max<std::size_t>(1, 20000 / n);  // ≥ 20k calls for a stable figure
  const double t0 = thread_cpu_seconds();
  for (std::size_t k = 0; k < reps; ++k)
    for (std::size_t i = 0; i < n; ++i) f(i);
  return (thread_cpu_seconds() - t0) * 1e6 / static_cast<double>(n * reps);
}

// Constant predictors: every request gets the same bucket / point / reservation.
EvalRow constant_row(std::string name, const Labels& test, std::int32_t s3, std::int32_t adaptive,
                     double point, std::int32_t reserved) {
  const std::size_t n = test.length.size();
  return score(std::move(name), test, std::vector<std::int32_t>(n, s3),
               std::vector<std::int32_t>(n, adaptive), std::vector<double>(n, point),
               std::vector<double>(n, point), std::vector<std::int32_t>(n, reserved));
}

std::int32_t most_frequent(const std::vector<std::int32_t>& v) {
  std::map<std::int32_t, std::int64_t> count;
  for (std::int32_t x : v) ++count[x];
  return std::max_element(count.begin(), count.end(),
                          [](const auto& a, const auto& b) { return a.second < b.second; })
      ->first;
}

// The odma estimators that turn a distribution into a bucket; the VAL split picks one.
// kQuantile at level q: predicts a longer bucket only when P(length > bucket top) > 1 − q.
struct Estimator {
  enum Kind { kBucketMode, kMean, kQuantile } kind = kBucketMode;
  double q = 0.5;
  std::string name() const {
    if (kind == kBucketMode) return "bucket-marginal mode";
    if (kind == kMean) return "mean";
    return q == 0.5 ? std::string("median") : "quantile " + fmt(q, 2);
  }
};
std::int32_t bucket_by(const Estimator& e, const Distribution& d,
                       const std::vector<std::int32_t>& upper) {
  switch (e.kind) {
    case Estimator::kBucketMode:
      return d.bucket_mode(upper);
    case Estimator::kMean:
      return bucket_of(upper, static_cast<std::int32_t>(std::lround(d.mean())));
    case Estimator::kQuantile:
      return bucket_of(upper, d.quantile(e.q));
  }
  return 0;
}
Estimator best_estimator(const std::vector<Distribution>& val,
                         const std::vector<std::int32_t>& truth,
                         const std::vector<std::int32_t>& upper) {
  std::vector<Estimator> candidates{{Estimator::kBucketMode, 0}, {Estimator::kMean, 0}};
  for (double q : {0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9})
    candidates.push_back({Estimator::kQuantile, q});
  Estimator best = candidates.front();
  double best_acc = -1;
  for (const Estimator& e : candidates) {
    std::vector<std::int32_t> pred;
    for (const Distribution& d : val) pred.push_back(bucket_by(e, d, upper));
    double acc = bucket_accuracy(truth, pred);
    if (acc > best_acc) best_acc = acc, best = e;
  }
  return best;
}

std::string count_str(std::size_t n) {
  return std::to_string(n);
}

}  // namespace

void check_disjoint_from_test(const PredictorModel& model, const workload::Dataset& dataset,
                              const std::string& model_name) {
  const TrainingProvenance& p = model.provenance;
  if (p.index_space != index_space_of(dataset.name)) return;  // other records altogether
  std::int64_t overlap = 0, example = -1;
  for (const workload::Record& r : dataset.records) {
    if (r.split != workload::Split::kTest) continue;
    if (std::binary_search(p.indices.begin(), p.indices.end(), r.index)) {
      if (overlap++ == 0) example = r.index;
    }
  }
  if (overlap > 0)
    throw Error("refusing to evaluate " + model_name + " on " + dataset.name +
                ": it was trained on " + std::to_string(overlap) +
                " record(s) of the test split (e.g. record " + std::to_string(example) +
                "; trained on " + p.dataset + " splits " + nlohmann::json(p.splits).dump() +
                "). Retrain with --splits train.");
}

DatasetEvaluation evaluate_dataset(const workload::Dataset& ds, const PredictorModel* given,
                                   const std::string& model_name, const EvalOptions& o) {
  if (given != nullptr) check_disjoint_from_test(*given, ds, model_name);
  const std::vector<workload::Record> train = ds.split(workload::Split::kTrain),
                                      val = ds.split(workload::Split::kVal),
                                      test = ds.split(workload::Split::kTest);
  if (train.empty() || val.empty() || test.empty())
    throw Error("eval: dataset " + ds.name + " needs train, val and test records");
  const std::int32_t max_len = ds.s3_max_output;

  DatasetEvaluation out;
  out.dataset = ds.name;
  out.test_records = static_cast<std::int64_t>(test.size());
  out.adaptive_upper = fit_adaptive(train, max_len, o);
  const kv::S3Buckets s3_buckets(max_len, kS3Buckets);
  const std::vector<std::int32_t>& s3_upper = s3_buckets.uppers();
  const Labels tr = labels_of(train, s3_buckets, out.adaptive_upper);
  const Labels va = labels_of(val, s3_buckets, out.adaptive_upper);
  const Labels te = labels_of(test, s3_buckets, out.adaptive_upper);

  // Mean train length per S3 bucket (the point estimate of a bucket predictor).
  std::vector<double> bucket_mean(kS3Buckets, 0.0), bucket_n(kS3Buckets, 0.0);
  double mean = 0;
  for (std::size_t i = 0; i < train.size(); ++i) {
    bucket_mean[static_cast<std::size_t>(tr.s3[i])] += tr.length[i];
    bucket_n[static_cast<std::size_t>(tr.s3[i])] += 1;
    mean += tr.length[i];
  }
  mean /= static_cast<double>(train.size());
  for (std::size_t k = 0; k < bucket_mean.size(); ++k)
    bucket_mean[k] = bucket_n[k] > 0 ? bucket_mean[k] / bucket_n[k]
                                     : 0.5 * ((k == 0 ? 0 : s3_upper[k - 1]) + s3_upper[k]);

  // Majority class and mean.
  const std::int32_t major = most_frequent(tr.s3);
  out.rows.push_back(constant_row("majority class", te, major, most_frequent(tr.adaptive),
                                  bucket_mean[static_cast<std::size_t>(major)],
                                  s3_upper[static_cast<std::size_t>(major)]));
  const auto mean_len = static_cast<std::int32_t>(std::lround(mean));
  out.rows.push_back(constant_row("mean", te, s3_buckets.bucket_of(mean_len),
                                  bucket_of(out.adaptive_upper, mean_len), mean,
                                  static_cast<std::int32_t>(std::ceil(mean))));

  // S3-style classifier: same features, 10 equal-width classes, hard labels.
  {
    ModelConfig config;
    config.features.hash_bits = o.train.hash_bits;
    config.edges = {0};  // bin k = (upper(k−1), upper(k)]: exactly the S3 buckets
    config.edges.insert(config.edges.end(), s3_upper.begin(), s3_upper.end());
    TrainConfig tc = o.train.train;
    tc.label_smoothing = 0;
    PredictorModel s3m;
    s3m.model =
        train_length_model(config, make_examples(FeatureExtractor(config.features), train), tc);
    quantize_weights(s3m.model);
    std::vector<std::int32_t> s3, adaptive, reserved;
    std::vector<double> point, rank;
    for (const workload::Record& r : test) {
      Distribution d = s3m.model.predict(PromptInfo{r.prompt, r.prompt_tokens, 0});
      const auto& p = d.prob();
      auto k = static_cast<std::int32_t>(std::max_element(p.begin(), p.end()) - p.begin());
      s3.push_back(k);
      point.push_back(bucket_mean[static_cast<std::size_t>(k)]);
      rank.push_back(k);
      adaptive.push_back(
          bucket_of(out.adaptive_upper, static_cast<std::int32_t>(std::lround(point.back()))));
      reserved.push_back(s3_upper[static_cast<std::size_t>(k)]);
    }
    EvalRow row = score("S3 classifier", te, s3, adaptive, point, rank, reserved);
    if (o.time_predictions)
      row.us_per_prediction = micros_per_call(test.size(), [&](std::size_t i) {
        Distribution d = s3m.model.predict(PromptInfo{test[i].prompt, test[i].prompt_tokens, 0});
        return std::max_element(d.prob().begin(), d.prob().end()) - d.prob().begin();
      });
    row.model_bytes = static_cast<std::int64_t>(serialize_model(s3m).size());
    out.rows.push_back(row);
  }

  // odma: the given model if it was trained on this dataset, else one trained here on train only.
  PredictorModel trained;
  const PredictorModel* m = given;
  if (given != nullptr && given->provenance.dataset == ds.name) {
    out.caption = ds.name + ": odma row = " + model_name + " (trained on " + ds.name + " " +
                  nlohmann::json(given->provenance.splits).dump() + ", " +
                  count_str(given->provenance.indices.size()) + " records)";
  } else {
    trained = train_on_dataset(ds, o.train);
    m = &trained;
    out.caption = ds.name + ": odma row = a model trained in-process on " + ds.name +
                  "'s train split (" + count_str(train.size()) + " records, seed " +
                  std::to_string(o.train.train.seed) + ", " + std::to_string(o.train.train.epochs) +
                  " epochs)" +
                  (given != nullptr
                       ? ", because " + model_name + " was trained on " + given->provenance.dataset
                       : "");
  }
  out.caption += "; test split, " + count_str(test.size()) + " records; S3 buckets of " +
                 fmt(max_len / 10.0, 1) +
                 " tokens; adaptive: " + std::to_string(out.adaptive_upper.size()) +
                 " buckets fitted to the train lengths";
  {
    const LengthModel& lm = m->model;
    std::vector<Distribution> vd;
    for (const workload::Record& r : val)
      vd.push_back(lm.predict(PromptInfo{r.prompt, r.prompt_tokens, 0}));
    const Estimator e_s3 = best_estimator(vd, va.s3, s3_upper);
    const Estimator e_ad = best_estimator(vd, va.adaptive, out.adaptive_upper);
    out.odma_s3_estimator = e_s3.name();
    out.odma_adaptive_estimator = e_ad.name();
    std::vector<std::int32_t> s3, adaptive, reserved;
    std::vector<double> point, rank;
    for (const workload::Record& r : test) {
      Distribution d = lm.predict(PromptInfo{r.prompt, r.prompt_tokens, 0});
      s3.push_back(bucket_by(e_s3, d, s3_upper));
      adaptive.push_back(bucket_by(e_ad, d, out.adaptive_upper));
      point.push_back(d.median());
      rank.push_back(d.mean());
      reserved.push_back(d.quantile(m->coverage));
    }
    EvalRow row = score("odma", te, s3, adaptive, point, rank, reserved);
    if (o.time_predictions)
      row.us_per_prediction = micros_per_call(test.size(), [&](std::size_t i) {
        return lm.predict(PromptInfo{test[i].prompt, test[i].prompt_tokens, 0})
            .to_prediction(m->coverage);
      });
    row.model_bytes = static_cast<std::int64_t>(serialize_model(*m).size());
    out.rows.push_back(row);
  }
  out.odma_model = m == given ? std::make_shared<const PredictorModel>(*given)
                              : std::make_shared<const PredictorModel>(std::move(trained));
  return out;
}

std::string format_evaluation(const DatasetEvaluation& e) {
  Table t({"predictor", "S3 acc", "adaptive acc", "MAE (tok)", "Kendall tau", "coverage",
           "under-reserved", "reserved ÷ actual", "over-reserve (tok)", "us/pred", "model"});
  for (const EvalRow& r : e.rows)
    t.add_row(
        {r.predictor, fmt_percent(r.s3_accuracy), fmt_percent(r.adaptive_accuracy), fmt(r.mae, 1),
         fmt(r.kendall_tau, 3), fmt_percent(r.coverage), fmt_percent(r.under_reserved),
         fmt(r.reserved_over_actual, 2), fmt(r.over_reservation, 1), fmt(r.us_per_prediction, 2),
         r.model_bytes == 0 ? "-" : fmt(static_cast<double>(r.model_bytes) / 1024.0, 0) + " KiB"});
  return e.caption + "\n(odma buckets: S3 by " + e.odma_s3_estimator + ", adaptive by " +
         e.odma_adaptive_estimator + ", chosen on val)\n\n" + t.to_markdown();
}

std::string evaluations_json(const std::vector<DatasetEvaluation>& evals) {
  nlohmann::json j;
  j["datasets"] = nlohmann::json::object();
  for (const DatasetEvaluation& e : evals) {
    nlohmann::json rows = nlohmann::json::array();
    for (const EvalRow& r : e.rows)
      rows.push_back({{"predictor", r.predictor},
                      {"s3_accuracy", r.s3_accuracy},
                      {"adaptive_accuracy", r.adaptive_accuracy},
                      {"mae", r.mae},
                      {"kendall_tau", r.kendall_tau},
                      {"coverage", r.coverage},
                      {"under_reserved", r.under_reserved},
                      {"reserved_over_actual", r.reserved_over_actual},
                      {"over_reservation", r.over_reservation},
                      {"us_per_prediction", r.us_per_prediction},
                      {"model_bytes", r.model_bytes}});
    j["datasets"][e.dataset] = {{"caption", e.caption},
                                {"test_records", e.test_records},
                                {"adaptive_edges", e.adaptive_upper},
                                {"odma_s3_estimator", e.odma_s3_estimator},
                                {"odma_adaptive_estimator", e.odma_adaptive_estimator},
                                {"rows", rows}};
  }
  return j.dump(2) + "\n";
}

}  // namespace odma::predict
