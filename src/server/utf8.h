// UTF-8 checks for text that crosses the API boundary (RFC 3629, table 3-7 of the Unicode
// standard).
//
// Well-formed means: every character is encoded in its shortest form (no overlongs such as C0 AF),
// no UTF-16 surrogate (U+D800..U+DFFF) and nothing above U+10FFFF; and no sequence is cut short.
//
//   lead byte   length   continuation bytes (10xxxxxx)
//   00..7F      1        -
//   C2..DF      2        1
//   E0..EF      3        2   (E0: second byte A0..BF; ED: 80..9F)
//   F0..F4      4        3   (F0: second byte 90..BF; F4: 80..8F)
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace odma::server {

// True if `s` is well-formed UTF-8 (the empty string is).
[[nodiscard]] bool is_valid_utf8(std::string_view s);

// The number of bytes (0..3) at the end of `s` that begin a multi-byte character whose remaining
// bytes have not arrived yet. 0 when `s` ends on a character boundary (or ends in malformed bytes,
// which no further input can complete).
[[nodiscard]] std::size_t incomplete_utf8_tail(std::string_view s);

// `s` with every byte that does not belong to a well-formed character replaced by U+FFFD, so that
// it can be put in a JSON response (error messages quoting client bytes).
[[nodiscard]] std::string to_valid_utf8(std::string_view s);

// True if byte `b` is a continuation byte (10xxxxxx): a character boundary never falls before one.
[[nodiscard]] constexpr bool is_utf8_continuation(char b) {
  return (static_cast<unsigned char>(b) & 0xC0u) == 0x80u;
}

}  // namespace odma::server
