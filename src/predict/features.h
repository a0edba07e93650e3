// Prompt → hashed sparse features for the output-length model.
//
//   namespace   Every feature string starts with a short tag ("u:" instruction unigram,
//               "b:" bigram, "i:" input unigram, "f1:" first word, ...) so that the same word in
//               different roles hashes to different rows.
//   row         FNV-1a 64 of the tagged string, masked to `hash_bits` bits: 0 <= row < 2^hash_bits.
//               Row 0 is reserved for the always-on bias feature (no string maps to it).
//   value       1 for indicator features (repeats add up), a small real for the continuous ones.
//
// The prompt is "instruction" up to its first newline, then the optional "input" (the has-input
// flag). Extraction is pure and deterministic: the same (prompt, tokens, max_tokens) gives the same
// rows in the same order on every platform (no locale, no std::hash).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace odma::predict {

struct FeatureConfig {
  std::uint32_t hash_bits = 18;  // rows = 2^hash_bits (including the bias row 0)
  std::uint32_t rows() const { return 1u << hash_bits; }
  friend bool operator==(const FeatureConfig&, const FeatureConfig&) = default;
};

// Bumped whenever extraction changes, so a model file trained with other features is refused.
inline constexpr std::uint32_t kFeatureVersion = 1;

struct SparseFeatures {
  std::vector<std::uint32_t> rows;  // may repeat; same length as values
  std::vector<float> values;
  void clear() {
    rows.clear();
    values.clear();
  }
  std::size_t size() const { return rows.size(); }
};

// What the predictor knows about a request besides its text.
struct PromptInfo {
  std::string_view text;           // may be empty (token-only traces)
  std::int32_t prompt_tokens = 0;  // 0 = unknown
  std::int32_t max_tokens = 0;     // generation cap; 0 = unknown
};

class FeatureExtractor {
 public:
  explicit FeatureExtractor(FeatureConfig config = {});

  // Appends the features of `prompt` to `out` (cleared first). Allocation-free once `out` has
  // grown.
  void extract(const PromptInfo& prompt, SparseFeatures& out) const;

  const FeatureConfig& config() const { return config_; }

 private:
  FeatureConfig config_;
  std::uint64_t mask_;
};

// FNV-1a 64 (exposed for tests and for hashing record indices).
std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t seed = 14695981039346656037ull);

}  // namespace odma::predict
