// `odma predictor train|eval|predict`: the output-length predictor's own tools.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>

#include "base/args.h"
#include "base/error.h"
#include "base/file_io.h"
#include "base/table.h"
#include "cli/command.h"
#include "kv/s3_buckets.h"
#include "predict/evaluate.h"
#include "predict/metrics.h"
#include "predict/predictor.h"
#include "predict/trainer.h"
#include "sim/replay.h"
#include "workload/dataset.h"
#include "workload/trace.h"

namespace odma::cli {
namespace {

constexpr const char* kHelp = R"(usage: odma predictor <train|eval|predict> [options]

train    trains an output-length model on a shipped dataset's TRAIN split (val is only reported)
  --dataset NAME      alpaca | alpaca-vicuna | nq
  --trace FILE        or a JSONL trace with prompts and true output lengths, e.g. what
                      `odma serve --request-log FILE` wrote: its records are split 80/10/10 into
                      train/val/test by index, as the shipped datasets are (one of the two)
  --out PATH          model file to write (default: predictor-<dataset>.odmp)
  --seed S            shuffling seed (default 1); same seed and data give identical bytes
  --epochs N          passes over the data (default 3)
  --threads N         training threads (default 2); the model does not depend on it
  --hash-bits B       feature rows = 2^B (default 18)
  --bins N            log-spaced length bins (default 32)
  --lr X              Adagrad step (default 0.05)
  --smoothing X       label mass moved to neighbouring bins (default 0.3)
  --splits LIST       records to train on (default: train); eval refuses models that saw test

eval     one table per dataset (alpaca, alpaca-vicuna, nq), TEST split only
  --model PATH        the model (default: the bundled data/predictor/alpaca-default.odmp); on a
                      dataset it was not trained on, a model is trained in-process on that
                      dataset's train split (the table caption says which)
  --dataset LIST      comma-separated subset (default: all three)
  --json PATH         also write {"datasets": {NAME: {"rows": [...]}}}
  --seed/--epochs/--threads  for the models trained in-process (defaults as for train)
  each table is followed by the odma row's model in a KV replay of the test split (odma policy,
  131072 slots, predictions made before the run): under-reserved, slots held ÷ final tokens,
  reservation efficiency, migrations and copied tokens per request, per quantile and growth rule

predict  the distribution for one prompt
  --model PATH        (default: bundled)
  --prompt TEXT       instruction, then "\n" and the input if any
  --prompt-tokens N   (default 0 = unknown)    --max-tokens N (default 0 = no cap)
)";

predict::DatasetTrainOptions train_options(const Args& args, const std::vector<std::string>& argv) {
  predict::DatasetTrainOptions o;
  o.train.seed = static_cast<std::uint64_t>(args.get_int("seed", 1));
  o.train.epochs = static_cast<std::int32_t>(args.get_int("epochs", o.train.epochs));
  o.train.threads = static_cast<std::int32_t>(args.get_int("threads", 2));
  o.train.learning_rate = static_cast<float>(args.get_double("lr", o.train.learning_rate));
  o.train.label_smoothing =
      static_cast<float>(args.get_double("smoothing", o.train.label_smoothing));
  long long bits = args.get_int("hash-bits", o.hash_bits);
  if (bits < 4 || bits > 24) throw Error("--hash-bits must be in [4, 24]");
  o.hash_bits = static_cast<std::uint32_t>(bits);
  o.bins = static_cast<std::int32_t>(args.get_int("bins", o.bins));
  o.train.min_row_count =
      static_cast<std::int32_t>(args.get_int("min-count", o.train.min_row_count));
  o.train.l2 = static_cast<float>(args.get_double("l2", o.train.l2));
  o.train.batch_size = static_cast<std::int32_t>(args.get_int("batch", o.train.batch_size));
  std::string cmd = "odma predictor";
  for (const std::string& a : argv) cmd += " " + a;
  o.command = cmd;
  return o;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

// A trace (a server's request log) as a dataset: record i is the trace's i-th request with a
// prompt, in the split split_of(i) gives it.
workload::Dataset dataset_from_trace(const std::string& path) {
  const workload::Trace trace = workload::read_trace(path);
  workload::Dataset ds;
  ds.name = "trace:" + trace.name;
  ds.length_unit = "the served model's tokens";
  std::int32_t longest = 1;
  for (const workload::TraceRequest& r : trace.requests) {
    if (r.prompt.empty()) continue;  // logged with --request-log-prompts none
    workload::Record rec;
    rec.index = static_cast<std::int64_t>(ds.records.size());
    rec.prompt = r.prompt;
    rec.prompt_tokens = r.prompt_tokens;
    rec.output_tokens = r.output_tokens;
    rec.split = workload::split_of(rec.index);
    longest = std::max(longest, r.output_tokens);
    ds.records.push_back(std::move(rec));
  }
  if (ds.records.size() < 10) {
    throw Error("predictor train: " + path + " has " + std::to_string(ds.records.size()) +
                " requests with prompt text; at least 10 are needed (a request log written with "
                "--request-log-prompts none has none)");
  }
  ds.s3_max_output = std::max(longest, 2048);  // the length bins reach at least this far
  return ds;
}

int run_train(const Args& args, const std::vector<std::string>& argv) {
  args.reject_unknown({"dataset", "trace", "out", "seed", "epochs", "threads", "hash-bits", "bins",
                       "lr", "smoothing", "splits", "min-count", "l2", "batch"});
  auto trace = args.get("trace");
  if (trace && args.has("dataset")) throw Error("predictor train: give --dataset or --trace");
  std::optional<std::string> name = args.get("dataset");
  if (trace) name = "trace-" + std::filesystem::path(*trace).stem().string();
  if (!name) {
    throw Error(
        "predictor train: --dataset (alpaca, alpaca-vicuna or nq) or --trace FILE is required");
  }
  predict::DatasetTrainOptions o = train_options(args, argv);
  o.splits.clear();
  for (const std::string& s : split_commas(args.get_or("splits", "train"))) {
    auto split = workload::parse_split(s);
    if (!split) throw Error("--splits: name the splits (train, val, test), not 'all'");
    o.splits.push_back(*split);
  }
  if (o.splits.empty()) throw Error("--splits: no split given");
  const std::string out = args.get_or("out", "predictor-" + *name + ".odmp");

  const workload::Dataset ds = trace ? dataset_from_trace(*trace) : workload::load_dataset(*name);
  const std::vector<workload::Record> val = ds.split(workload::Split::kVal);
  const kv::S3Buckets s3(ds.s3_max_output, 10);
  const auto& s3_upper = s3.uppers();
  std::vector<std::int32_t> val_bucket;
  for (const auto& r : val) val_bucket.push_back(s3.bucket_of(r.output_tokens));

  std::fprintf(stderr, "predictor train: %s, %zu records, %d threads\n", ds.name.c_str(),
               ds.records.size(), o.train.threads);
  auto t0 = std::chrono::steady_clock::now();
  auto on_epoch = [&](std::int32_t epoch, double loss, const predict::LengthModel& m) {
    std::vector<std::int32_t> pred;
    std::vector<std::int32_t> truth, median;
    std::vector<double> med_d;
    double nll = 0;
    std::int64_t covered = 0;
    for (const auto& r : val) {
      predict::Distribution d = m.predict(predict::PromptInfo{r.prompt, r.prompt_tokens, 0});
      nll -= std::log(std::max(
          1e-30f, d.prob()[static_cast<std::size_t>(predict::bin_of(d.edges(), r.output_tokens))]));
      covered += r.output_tokens <= d.quantile(0.95);
      pred.push_back(d.bucket_mode(s3_upper));
      truth.push_back(r.output_tokens);
      med_d.push_back(d.median());
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(
        stderr,
        "  epoch %d: train loss %.4f | val: NLL %.4f, S3 acc %.2f%%, MAE %.1f, p95 coverage "
        "%.1f%%, tau %.3f (%.1f s)\n",
        epoch, loss, nll / static_cast<double>(val.size()),
        100 * predict::bucket_accuracy(val_bucket, pred),
        predict::mean_absolute_error(truth, med_d),
        100.0 * static_cast<double>(covered) / static_cast<double>(val.size()),
        predict::kendall_tau(med_d, std::vector<double>(truth.begin(), truth.end())), secs);
  };
  predict::PredictorModel m = predict::train_on_dataset(ds, o, on_epoch);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  predict::save_model(m, out);
  std::printf("trained on %s %s (%zu records) in %.1f s with %d threads; wrote %s (%zu bytes)\n",
              ds.name.c_str(), args.get_or("splits", "train").c_str(), m.provenance.indices.size(),
              secs, o.train.threads, out.c_str(), predict::serialize_model(m).size());
  return 0;
}

// What the predictions cost in KV memory: the test split replayed through odma (replay's defaults:
// 131,072 slots, offline arrival, cap 2048) with the model's predictions at a few quantiles.
void print_kv_replay(const std::string& dataset, const predict::PredictorModel& model) {
  const workload::Trace trace = workload::dataset_trace(dataset);
  sim::ReplayOptions opt;
  opt.session.kv.capacity_tokens = 131072;
  opt.session.max_output_tokens = 2048;
  std::int32_t longest_prompt = 1;
  for (const auto& r : trace.requests) longest_prompt = std::max(longest_prompt, r.prompt_tokens);
  opt.session.kv.max_model_len = longest_prompt + opt.session.max_output_tokens;
  Table t({"reserve at", "growth", "under-reserved", "held ÷ final", "reservation eff", "migr/req",
           "copied/req"});
  predict::Predictor p{predict::PredictorModel(model)};
  for (const double q : {0.5, 0.7, model.coverage}) {
    p.set_coverage(q);
    std::vector<kv::LengthPrediction> predictions;
    for (const workload::TraceRequest& r : trace.requests) {
      predictions.push_back(p.predict(r.prompt, r.prompt_tokens, opt.session.max_output_tokens));
      predictions.back().true_output_tokens = r.output_tokens;
    }
    for (const kv::GrowthRule g : {kv::GrowthRule::kNextBucket, kv::GrowthRule::kConditioned}) {
      opt.session.kv.odma.growth = g;
      const sim::ReplayResult r = sim::replay(trace, predictions, "odma", opt);
      const sim::ReservationQuality rq = sim::reservation_quality(r);
      t.add_row({"q " + fmt(q, 2), std::string(kv::to_string(g)), fmt_percent(rq.under_reserved),
                 fmt(rq.reserved_over_actual, 2), fmt_percent(r.reservation_efficiency),
                 fmt(rq.migrations_per_request, 2), fmt(rq.copied_tokens_per_request, 1)});
    }
  }
  std::printf(
      "\nKV replay of the test split (odma, 131072 slots, the odma row's model, predictions "
      "made before the run):\n\n%s",
      t.to_markdown().c_str());
}

int run_eval(const Args& args, const std::vector<std::string>& argv) {
  args.reject_unknown({"model", "dataset", "json", "seed", "epochs", "threads"});
  predict::EvalOptions o;
  o.train = train_options(args, argv);
  const std::string model_path =
      args.has("model") ? *args.get("model") : predict::Predictor::bundled_path().string();
  const predict::PredictorModel model = predict::load_model(model_path);
  const std::vector<std::string> names =
      split_commas(args.get_or("dataset", "alpaca,alpaca-vicuna,nq"));
  // Refuse before spending minutes: every dataset is checked first.
  std::vector<workload::Dataset> datasets;
  for (const std::string& n : names) {
    datasets.push_back(workload::load_dataset(n));
    predict::check_disjoint_from_test(model, datasets.back(), model_path);
  }
  std::vector<predict::DatasetEvaluation> evals;
  for (const workload::Dataset& ds : datasets) {
    std::fprintf(stderr, "predictor eval: %s ...\n", ds.name.c_str());
    evals.push_back(predict::evaluate_dataset(ds, &model, model_path, o));
    std::printf("\n## %s\n\n%s", ds.name.c_str(), predict::format_evaluation(evals.back()).c_str());
    print_kv_replay(ds.name, *evals.back().odma_model);
  }
  if (auto path = args.get("json")) {
    write_file(*path, predict::evaluations_json(evals));
    std::fprintf(stderr, "predictor eval: wrote %s\n", path->c_str());
  }
  return 0;
}

int run_predict(const Args& args) {
  args.reject_unknown({"model", "prompt", "prompt-tokens", "max-tokens"});
  auto prompt = args.get("prompt");
  if (!prompt) throw Error("predictor predict: --prompt is required");
  predict::Predictor p = args.has("model") ? predict::Predictor::load(*args.get("model"))
                                           : predict::Predictor::bundled();
  const auto tokens = static_cast<std::int32_t>(args.get_int("prompt-tokens", 0));
  const auto cap = static_cast<std::int32_t>(args.get_int("max-tokens", 0));
  predict::Distribution d = p.distribution(*prompt, tokens, cap);
  kv::LengthPrediction lp = p.predict(*prompt, tokens, cap);
  std::printf("median %d, mean %.1f, p%.0f %d (reserve), uncertainty %.3f\n", d.median(), d.mean(),
              100 * p.coverage(), lp.output_tokens, lp.uncertainty);
  Table t({"bin (tokens)", "probability"});
  for (std::size_t b = 0; b < d.prob().size(); ++b)
    if (d.prob()[b] >= 0.005)
      t.add_row({std::to_string(d.edges()[b] + 1) + "-" + std::to_string(d.edges()[b + 1]),
                 fmt_percent(d.prob()[b], 1)});
  std::fputs(t.to_markdown().c_str(), stdout);
  return 0;
}

int run_predictor(const std::vector<std::string>& argv) {
  Args args(argv, {"help"});
  if (args.has("help") || args.positionals().empty()) {
    std::fputs(kHelp, stdout);
    return args.has("help") ? 0 : 2;
  }
  if (args.positionals().size() > 1)
    throw Error("predictor: unexpected argument '" + args.positionals()[1] + "'");
  const std::string& sub = args.positionals()[0];
  if (sub == "train") return run_train(args, argv);
  if (sub == "eval") return run_eval(args, argv);
  if (sub == "predict") return run_predict(args);
  throw Error("predictor: unknown subcommand '" + sub + "' (train, eval or predict)");
}

}  // namespace

ODMA_COMMAND("predictor", "train and evaluate the output-length predictor", run_predictor);

}  // namespace odma::cli
