// Properties every loaded tokenizer must keep, shared by the two tokenizer targets.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"

namespace odma::fuzz {

// Every id of encode(text) is in the vocabulary, count_tokens agrees with encode, and the
// streaming decoder, fed one id at a time, spells exactly decode(ids) (stream_decoder.h's
// invariant). Returns decode(ids). `text` must be valid UTF-8.
inline std::string check_encode(const tokenizer::Tokenizer& tok, std::string_view text) {
  const std::vector<std::int32_t> ids = tok.encode(text);
  check(tok.count_tokens(text) == ids.size(), "count_tokens != encode().size()", text);
  for (std::int32_t id : ids) check(id >= 0 && id < tok.vocab_size(), "id outside vocab", text);
  const std::string whole = tok.decode(ids);
  for (bool skip : {false, true}) {
    tokenizer::StreamDecoder stream(tok, skip);
    std::string streamed;
    for (std::int32_t id : ids) stream.push(id, streamed);
    stream.flush(streamed);
    check(streamed == tok.decode(ids, skip), "streamed text != decode(ids)", text);
  }
  return whole;
}

// Arbitrary ids: decode must answer (text or odma::Error for an unknown id), never crash, and
// stream the same text.
inline void check_decode(const tokenizer::Tokenizer& tok, std::span<const std::int32_t> ids) {
  std::string whole;
  try {
    whole = tok.decode(ids);
  } catch (const Error&) {
    return;  // an id outside the vocabulary
  }
  tokenizer::StreamDecoder stream(tok);
  std::string streamed;
  for (std::int32_t id : ids) stream.push(id, streamed);
  stream.flush(streamed);
  check(streamed == whole, "streamed text != decode(ids) for arbitrary ids");
}

}  // namespace odma::fuzz
