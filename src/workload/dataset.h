// The length datasets odma ships (data/), split deterministically by record index.
//
// Glossary:
//   record index  0-based position in the source file (the Alpaca index for alpaca*), stable
//   forever split         train / val / test by index: index % 10 ∈ {0..7} → train, 8 → val, 9 →
//   test length unit   what output_tokens counts: Qwen2 tokens, except alpaca-vicuna (LLaMA tokens)
//
// Datasets (docs/data.md has the sources and licences):
//   "alpaca"         52,002 Alpaca records; prompt = instruction + ("\n" + input if non-empty),
//                    prompt_tokens = instruction + input Qwen2 tokens, output = reference output
//   "alpaca-vicuna"  20,000 Alpaca prompts with Vicuna-7B's greedy (T=0) generated length,
//                    LLaMA tokens capped at 512 (the 84 source values of 513–514 are clamped)
//   "nq"             2,655 NQ-open questions; output = the oracle long answer's Qwen2 tokens
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace odma::workload {

enum class Split : std::uint8_t { kTrain, kVal, kTest };

// DESIGN.md's deterministic 80/10/10 split by record index: index % 10 in 0..7 → train, 8 → val,
// 9 → test. Alpaca-vicuna uses the Alpaca index, so one prompt is in the same split everywhere.
Split split_of(std::int64_t index);

// "train" / "val" / "test".
const char* split_name(Split s);

// Parses "train" | "val" | "test" | "all" (all → nullopt, meaning no filter). Throws odma::Error.
std::optional<Split> parse_split(const std::string& text);

struct Record {
  std::int64_t index = 0;          // record index in the source (0-based Alpaca index for alpaca*)
  std::string prompt;              // the text the predictor sees (instruction, then input if any)
  std::int32_t prompt_tokens = 0;  // Qwen2 tokens of the prompt (instruction + input)
  std::int32_t output_tokens = 0;  // target output length (see Dataset::length_unit); may be 0
  Split split = Split::kTrain;     // == split_of(index)
};

struct Dataset {
  std::string name;         // "alpaca", "alpaca-vicuna" or "nq"
  std::string length_unit;  // e.g. "qwen2 tokens"; "llama tokens, capped at 512" for vicuna
  std::int32_t s3_max_output = 2048;  // S3 protocol range (512 for alpaca-vicuna)
  std::vector<Record> records;        // ascending index (source order)

  std::vector<Record> split(Split s) const;
};

// Names accepted by load_dataset.
std::vector<std::string> dataset_names();

// Loads a shipped dataset by name from data_dir(). Throws odma::Error (unknown name, missing or
// malformed file, naming the file and line). Parsed files are cached for the process, so repeated
// calls are cheap (a copy of the records); thread-safe.
Dataset load_dataset(const std::string& name);

}  // namespace odma::workload
