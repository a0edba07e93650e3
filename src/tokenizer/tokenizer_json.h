// Reading Hugging Face tokenizer.json (+ tokenizer_config.json) into a plain description that the
// Tokenizer is then built from. Everything the files say is checked here or at build time; any
// problem -> odma::Error "<file>: <what is wrong>" (truncated JSON, missing model or vocab, unknown
// model type, bad merges entry, unsupported pipeline step, ...).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/added_tokens.h"
#include "tokenizer/decoder.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/pretokenizer.h"

namespace odma::tokenizer {

struct TokenizerSpec {
  std::string source;  // tokenizer.json path, for messages

  // model (only "BPE")
  std::vector<std::pair<std::string, std::int32_t>> vocab;
  std::vector<std::pair<std::string, std::string>> merges;  // in rank order
  std::optional<std::string> unk_token;
  bool byte_fallback = false;
  bool fuse_unk = false;
  bool ignore_merges = false;

  std::vector<AddedToken> added_tokens;
  std::vector<NormalizerStep> normalizer;
  std::vector<PreTokenizerStep> pre_tokenizer;
  std::vector<DecoderStep> decoder;

  // post_processor for one sequence: ids around the text when add_special_tokens is set.
  bool has_post_processor = false;
  std::vector<std::int32_t> prefix_ids;
  std::vector<std::int32_t> suffix_ids;

  // tokenizer_config.json (optional file)
  std::string config_source;
  std::optional<std::string> bos_token;
  std::optional<std::string> eos_token;
  std::optional<std::string> pad_token;
  bool add_bos_token = false;  // used only when tokenizer.json has no post_processor
  bool add_eos_token = false;
};

// Parses tokenizer.json text; `source` names the file in errors.
TokenizerSpec parse_tokenizer_json(std::string_view text, const std::string& source);

// Reads bos/eos/pad tokens and add_bos/add_eos flags from tokenizer_config.json text into `spec`.
void parse_tokenizer_config(std::string_view text, const std::string& source, TokenizerSpec& spec);

}  // namespace odma::tokenizer
