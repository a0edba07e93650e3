// Decoding plan: what each token id contributes to the output bytes, computed once at load by
// running the tokenizer.json decoder pipeline over every token on its own.
//
// Supported decoder steps (Hugging Face "decoder"): ByteLevel, Replace (literal), ByteFallback,
// Fuse, Strip, Metaspace, Sequence. All of them act token by token except two that act on the
// fused text: Strip after Fuse, and Metaspace's removal of the first token's leading space; both
// only strip characters at the very start, which the plan keeps as `strip_leading`. So
//   decode(ids) = utf8_lossy( strip_leading_from( concat(bytes[id] for id in ids) ) )
// which is what makes an exact streaming decoder possible.
//
// Added tokens decode to their content verbatim (transformers' slow path and transformers.js do
// this; the byte-level mapping would otherwise garble non-ASCII special tokens).
// Known difference: Hugging Face's ByteFallback turns an invalid run of <0xNN> tokens into one
// U+FFFD per byte; here invalid bytes follow from_utf8_lossy (one U+FFFD per maximal subpart).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokenizer/added_tokens.h"
#include "tokenizer/vocab.h"

namespace odma::tokenizer {

struct DecoderStep {
  enum class Kind { kByteLevel, kReplace, kByteFallback, kFuse, kStrip, kMetaspace };
  Kind kind;
  std::string pattern;  // kReplace: literal to find; kMetaspace: the replacement ("▁")
  std::string content;  // kReplace: replacement; kStrip: the character to strip
  int start = 0;        // kStrip: characters to strip at the start
  int stop = 0;         // kStrip: characters to strip at the end
  bool prepend = true;  // kMetaspace: the encoder prepended "▁", so drop the first space
};

struct DecodePlan {
  std::vector<std::string> bytes;  // by id: output bytes of the token
  std::vector<bool> known;         // by id: the id exists
  std::vector<bool> special;       // by id: an added token marked special
  std::string strip_char;          // stripped from the start of the whole output ...
  int strip_leading = 0;           // ... at most this many times
};

// Throws odma::Error naming `source` for a step it cannot honour (e.g. Strip "stop" after Fuse).
DecodePlan build_decode_plan(const Vocab& vocab, const std::vector<AddedToken>& added,
                             const std::vector<DecoderStep>& steps, const std::string& source);

}  // namespace odma::tokenizer
