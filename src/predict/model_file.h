// The predictor's model file (.odmp): versioned, checksummed, self-describing.
//
//   layout   "ODMP" | u32 version | u32 H | header (H bytes of JSON) | u64 P | payload (P bytes)
//            | u32 crc; integers little-endian; crc = CRC-32 (zlib) of every byte before it.
//   header   feature version, hash_bits, bin edges, coverage and the training provenance: dataset,
//            index space, splits, record count, FNV-1a hash of the training record indices.
//   payload  the training record indices as a bitmap (so `eval` can prove train/test disjointness),
//            then the non-zero weight rows: u32 row, u8 tag, then f32 step + bins × i8 (w = q·step)
//            or, for the rare row int8 cannot reproduce exactly, bins × f32.
//
// Weights are stored as int8 per row; quantize_weights() applies the same rounding in memory so a
// saved-and-loaded model predicts exactly like the model it was saved from.
// Any defect (missing, truncated, bad magic, unknown version, checksum mismatch, inconsistent
// header) → odma::Error naming the file and the problem.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "predict/length_model.h"

namespace odma::predict {

inline constexpr std::uint32_t kModelFileVersion = 1;

struct TrainingProvenance {
  std::string dataset;      // e.g. "alpaca"
  std::string index_space;  // datasets sharing record indices share it ("alpaca" for alpaca*)
  std::vector<std::string> splits;    // e.g. {"train"}
  std::vector<std::int64_t> indices;  // sorted record indices the model was trained on
  std::uint64_t index_hash = 0;       // hash_indices(indices)
  std::string command;                // the command line that trained it
  std::uint64_t seed = 0;
  std::int32_t epochs = 0;
};

struct PredictorModel {
  LengthModel model;
  TrainingProvenance provenance;
  double coverage = 0.95;  // default quantile reserved for (LengthPrediction.output_tokens)
};

// FNV-1a 64 over the indices as little-endian int64 (order matters; pass them sorted).
std::uint64_t hash_indices(const std::vector<std::int64_t>& indices);
// The index space a dataset's record indices live in.
std::string index_space_of(const std::string& dataset);

// Rounds every weight to its int8-per-row stored value (idempotent).
void quantize_weights(LengthModel& model);

std::string serialize_model(const PredictorModel& m);
// `source` names the file in error messages.
PredictorModel parse_model(const std::string& bytes, const std::string& source);

void save_model(const PredictorModel& m, const std::filesystem::path& path);
PredictorModel load_model(const std::filesystem::path& path);

}  // namespace odma::predict
