// UTF-8 helpers for the tokenizer: validation of input text and a byte-by-byte assembler that
// only ever releases whole characters (the heart of the streaming decoder).
//
// Invalid input is replaced the way Rust's String::from_utf8_lossy (and so Hugging Face) does:
// one U+FFFD per "maximal subpart" — the longest prefix of a sequence that could still have
// become valid (Unicode §3.9, "U+FFFD substitution of maximal subparts").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace odma::tokenizer {

inline constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

// Offset of the first byte that breaks UTF-8 validity, or text.size() when all of it is valid.
std::size_t utf8_invalid_offset(std::string_view text);

// Feeds bytes; appends complete characters (or U+FFFD for invalid subparts) to an output string.
// Invariant: pending() holds 0..3 bytes that form a valid but unfinished character.
class Utf8Assembler {
 public:
  void push(std::string_view bytes, std::string& out);
  // Releases what is pending at the end of the stream: U+FFFD if an unfinished character is held.
  void finish(std::string& out);
  std::string_view pending() const { return {pending_, pending_len_}; }

 private:
  void push_byte(unsigned char b, std::string& out);

  char pending_[4] = {};
  std::size_t pending_len_ = 0;
  std::size_t need_ = 0;                 // continuation bytes still expected
  unsigned char lo_ = 0x80, hi_ = 0xBF;  // allowed range of the next continuation byte
};

}  // namespace odma::tokenizer
