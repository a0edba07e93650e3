// Incremental detokenization for generation: push ids one at a time, get text as soon as it is
// complete. Never emits part of a UTF-8 character: a token that ends inside a character (byte
// tokens, or byte-level tokens that split a CJK character or an emoji) is held until the rest
// arrives. Invariant: concat(push(id) for id in ids) + flush() == tokenizer.decode(ids).
#pragma once

#include <cstdint>
#include <string>

#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace odma::tokenizer {

class StreamDecoder {
 public:
  // `unknown_as_empty`: a non-negative id the tokenizer lacks decodes to no text instead of an
  // error. Generation needs it: checkpoints pad the embedding past the tokenizer (Qwen2: 151,936
  // rows for 151,665 ids), sampling can return such an id, and vLLM's detokenizer emits "" for it.
  explicit StreamDecoder(Tokenizer tokenizer, bool skip_special = false,
                         bool unknown_as_empty = false);

  // Text completed by `id` (often empty for a partial character). Unknown id -> odma::Error
  // (or no text, see above).
  std::string push(std::int32_t id);
  void push(std::int32_t id, std::string& out);  // appends instead

  // Ends the stream: an unfinished character becomes U+FFFD. The decoder is then ready for a new
  // stream (leading-space stripping applies again).
  std::string flush();
  void flush(std::string& out);

  std::size_t pending_bytes() const { return utf8_.pending().size(); }

 private:
  Tokenizer tokenizer_;  // keeps the plan alive
  const DecodePlan* plan_;
  bool unknown_as_empty_ = false;
  bool skip_special_;
  Utf8Assembler utf8_;
  int stripped_ = 0;      // leading strip characters removed so far
  bool started_ = false;  // output has begun: no more leading stripping
};

}  // namespace odma::tokenizer
