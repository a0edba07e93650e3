// Encode and decode of arbitrary bytes with the shipped Qwen2 byte-level tokenizer
// (data/tokenizer). The input is both the text to encode and, read as little-endian int32s
// folded into twice the vocabulary, ids to decode.
//
// Properties: ill-formed UTF-8 → odma::Error; well-formed text already in NFC (the tokenizer's
// normalizer) comes back exactly: decode(encode(text)) == text; the checks of
// tokenizer_checks.h.
#include <cstring>

#include "base/file_io.h"
#include "fuzz/tokenizer_checks.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/utf8.h"

namespace {

const odma::tokenizer::Tokenizer& qwen2() {
  static const auto tok =
      odma::tokenizer::Tokenizer::load(odma::data_file("tokenizer/tokenizer.json"));
  return tok;
}

}  // namespace

// Loads the 7 MB tokenizer before fuzzing starts: under ASan on a loaded machine it can take
// longer than the 1 s per-input timeout, which does not run during initialisation.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)qwen2();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using odma::fuzz::check;
  namespace tk = odma::tokenizer;
  const tk::Tokenizer& tok = qwen2();
  const std::string_view text = odma::fuzz::as_text(data, size);
  if (tk::utf8_invalid_offset(text) != text.size()) {
    bool threw = false;
    try {
      (void)tok.encode(text);
    } catch (const odma::Error&) {
      threw = true;
    }
    check(threw, "ill-formed UTF-8 encoded without an error");
  } else {
    const std::string back = odma::fuzz::check_encode(tok, text);
    if (tk::unicode_normalize(text, tk::NormalizerStep::Kind::kNfc) == text)
      check(back == text, "decode(encode(text)) != text", text);
  }
  std::vector<std::int32_t> ids(size / 4);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    std::uint32_t v;
    std::memcpy(&v, data + 4 * i, 4);
    ids[i] = static_cast<std::int32_t>(v % (2u * static_cast<std::uint32_t>(tok.vocab_size())));
  }
  odma::fuzz::check_decode(tok, ids);
  return 0;
}
