// The length datasets odma ships (data/), split deterministically by record index.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace odma::predict {

enum class Split : std::uint8_t { kTrain, kVal, kTest };

// DESIGN.md's deterministic 80/10/10 split by record index: index % 10 in 0..7 → train, 8 → val,
// 9 → test. Alpaca-vicuna uses the Alpaca index, so one prompt is in the same split everywhere.
Split split_of(std::int64_t index);

struct Record {
  std::int64_t index = 0;          // record index in the source (0-based Alpaca index for alpaca*)
  std::string prompt;              // the text the predictor sees (instruction, then input if any)
  std::int32_t prompt_tokens = 0;  // Qwen2 tokens of the prompt (instruction + input)
  std::int32_t output_tokens = 0;  // target output length (see Dataset::length_unit)
  Split split = Split::kTrain;
};

struct Dataset {
  std::string name;                // "alpaca", "alpaca-vicuna" or "nq"
  std::string length_unit;         // e.g. "qwen2 tokens"; "llama tokens, capped at 512" for vicuna
  std::int32_t s3_max_output = 2048;  // S3 protocol range (512 for alpaca-vicuna)
  std::vector<Record> records;     // in source order

  std::vector<Record> split(Split s) const;
};

// Names accepted by load_dataset.
std::vector<std::string> dataset_names();

// Loads a shipped dataset by name from data_dir(). Throws odma::Error (unknown name, missing or
// malformed file, naming the file and line).
Dataset load_dataset(const std::string& name);

}  // namespace odma::predict
