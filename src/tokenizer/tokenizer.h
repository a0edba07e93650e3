// Tokenizer: Hugging Face tokenizer.json BPE tokenizers, encode and decode.
//
// Two families are supported and tested against reference ids:
//   byte-level BPE (GPT-2 style, Qwen2/2.5/3): NFC, regex split, bytes shown as GPT-2 characters
//   sentencepiece-style BPE (Llama): "▁" word marker, <0xNN> byte fallback, ByteFallback/Fuse/Strip
//
// encode(text) = for each stretch between added tokens (matched leftmost-longest in the raw text):
//                normalize -> pre-tokenize into words -> BPE each word (per-thread word cache)
// decode(ids)  = concatenation of each token's bytes (see tokenizer_decoder.h), leading strip,
// lossy
//                UTF-8 (U+FFFD per invalid subpart).
//
// A Tokenizer is cheap to copy (shared immutable state) and safe to use from many threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace odma::tokenizer {

struct DecodePlan;
struct TokenizerSpec;

class Tokenizer {
 public:
  // Loads `dir/tokenizer.json` (or a tokenizer.json path; ".gz" variants are found too) and, when
  // present beside it, tokenizer_config.json. Bad or unsupported files -> odma::Error naming them.
  static Tokenizer load(const std::filesystem::path& dir_or_tokenizer_json);
  // Same from file contents; `config_json` may be empty. The sources name the files in errors.
  static Tokenizer from_json(std::string_view tokenizer_json, const std::string& source,
                             std::string_view config_json = {},
                             const std::string& config_source = "tokenizer_config.json");
  static Tokenizer from_spec(TokenizerSpec spec);

  // Token ids of `text` (valid UTF-8, else odma::Error). add_special_tokens adds what the
  // post-processor (or, without one, tokenizer_config's add_bos/add_eos) puts around a sequence.
  std::vector<std::int32_t> encode(std::string_view text, bool add_special_tokens = false) const;
  // Appends to `out` instead (no allocation once `out` has capacity).
  void encode_into(std::string_view text, std::vector<std::int32_t>& out,
                   bool add_special_tokens = false) const;
  // encode(text).size(), without keeping the ids.
  std::size_t count_tokens(std::string_view text) const;

  // Text of `ids`; an id outside the vocabulary -> odma::Error. skip_special drops added tokens
  // marked special.
  std::string decode(std::span<const std::int32_t> ids, bool skip_special = false) const;

  // One more than the largest id (vocabulary plus added tokens).
  std::int32_t vocab_size() const;
  // Id of a token string (added tokens first, then the vocabulary).
  std::optional<std::int32_t> token_id(std::string_view token) const;
  // The token string of `id` as stored in tokenizer.json; empty for unknown ids.
  std::string_view token(std::int32_t id) const;
  bool is_special(std::int32_t id) const;

  std::optional<std::int32_t> bos_id() const;  // from tokenizer_config.json
  std::optional<std::int32_t> eos_id() const;
  std::optional<std::int32_t> pad_id() const;

  const DecodePlan& decode_plan() const;  // for StreamDecoder

 private:
  struct Impl;
  explicit Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  void encode_words(std::string_view text, std::vector<std::int32_t>& out) const;

  std::shared_ptr<const Impl> impl_;
};

}  // namespace odma::tokenizer
