#include "server/utf8.h"

namespace odma::server {
namespace {

// Length of the character that lead byte `b` starts (1..4), or 0 if `b` cannot start one.
std::size_t sequence_length(unsigned char b) {
  if (b < 0x80u) return 1;
  if (b >= 0xC2u && b <= 0xDFu) return 2;
  if (b >= 0xE0u && b <= 0xEFu) return 3;
  if (b >= 0xF0u && b <= 0xF4u) return 4;
  return 0;  // a continuation byte, C0/C1 (always overlong) or F5..FF (beyond U+10FFFF)
}

// The allowed range of the byte after lead byte `lead` (table 3-7); later bytes are 80..BF.
bool second_byte_ok(unsigned char lead, unsigned char b) {
  switch (lead) {
    case 0xE0u:
      return b >= 0xA0u && b <= 0xBFu;  // below A0 would be overlong
    case 0xEDu:
      return b >= 0x80u && b <= 0x9Fu;  // above 9F would be a surrogate
    case 0xF0u:
      return b >= 0x90u && b <= 0xBFu;  // below 90 would be overlong
    case 0xF4u:
      return b >= 0x80u && b <= 0x8Fu;  // above 8F would be beyond U+10FFFF
    default:
      return b >= 0x80u && b <= 0xBFu;
  }
}

// True if bytes [i, min(i + n, size)) are a valid start of the n-byte character led by s[i].
bool prefix_ok(std::string_view s, std::size_t i, std::size_t n) {
  const auto lead = static_cast<unsigned char>(s[i]);
  for (std::size_t k = 1; k < n && i + k < s.size(); ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (!(k == 1 ? second_byte_ok(lead, b) : is_utf8_continuation(s[i + k]))) return false;
  }
  return true;
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t n = sequence_length(static_cast<unsigned char>(s[i]));
    if (n == 0 || i + n > s.size() || !prefix_ok(s, i, n)) return false;
    i += n;
  }
  return true;
}

std::string to_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t n = sequence_length(static_cast<unsigned char>(s[i]));
    if (n != 0 && i + n <= s.size() && prefix_ok(s, i, n)) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    }
  }
  return out;
}

std::size_t incomplete_utf8_tail(std::string_view s) {
  // A character is at most 4 bytes, so its lead byte is among the last 3 if it is unfinished.
  for (std::size_t back = 1; back <= 3 && back <= s.size(); ++back) {
    const std::size_t i = s.size() - back;
    if (is_utf8_continuation(s[i])) continue;
    const std::size_t n = sequence_length(static_cast<unsigned char>(s[i]));
    return (n > back && prefix_ok(s, i, n)) ? back : 0;
  }
  return 0;
}

}  // namespace odma::server
