// Synthetic length data for the predictor tests: prompt intent decides the length, so a working
// model must learn it. Lengths: "answer in one word" → 1–3, "list N" → 20·N ± 5, "write a long
// essay" → 300–400 (S3 bucket 1).
#pragma once

#include <string>
#include <vector>

#include "predict/trainer.h"
#include "workload/dataset.h"

namespace odma::predict::fixture {

inline workload::Record synthetic_record(std::int64_t index) {
  static const char* kTopics[] = {"rivers", "stars",  "bread", "music",
                                  "chess",  "trains", "rain",  "salt"};
  const std::string topic = kTopics[(index * 7) % 8];
  workload::Record r;
  r.index = index;
  r.split = workload::split_of(index);
  const std::int64_t jitter = (index * 2654435761LL) % 11;  // deterministic, 0..10
  switch (index % 3) {
    case 0:
      r.prompt = "Answer in one word: what is the colour of " + topic + "?";
      r.output_tokens = static_cast<std::int32_t>(1 + jitter % 3);
      break;
    case 1: {
      const int n = static_cast<int>(2 + index % 5);
      r.prompt = "List " + std::to_string(n) + " facts about " + topic + ".";
      r.output_tokens = static_cast<std::int32_t>(20 * n + jitter - 5);
      break;
    }
    default:
      r.prompt = "Write a long essay about the history of " + topic + ".\nMake it detailed.";
      r.output_tokens = static_cast<std::int32_t>(300 + 10 * jitter);
      break;
  }
  r.prompt_tokens = static_cast<std::int32_t>(r.prompt.size() / 4);
  return r;
}

inline workload::Dataset synthetic_dataset(std::int64_t n, std::string name = "synthetic") {
  workload::Dataset d;
  d.name = std::move(name);
  d.length_unit = "tokens";
  d.s3_max_output = 2048;
  for (std::int64_t i = 0; i < n; ++i) d.records.push_back(synthetic_record(i));
  return d;
}

inline DatasetTrainOptions small_train_options() {
  DatasetTrainOptions o;
  o.hash_bits = 12;
  o.bins = 24;
  o.train.epochs = 3;
  o.train.threads = 2;
  o.train.learning_rate = 0.2f;
  o.train.min_row_count = 1;
  return o;
}

}  // namespace odma::predict::fixture
