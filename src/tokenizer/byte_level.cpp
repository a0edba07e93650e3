#include "tokenizer/byte_level.h"

#include <array>
#include <cstdint>

namespace odma::tokenizer {
namespace {

struct ByteLevelTables {
  std::array<std::string, 256> char_of_byte;  // byte -> UTF-8 of its stand-in character
  std::array<std::int16_t, 324> byte_of_cp;   // code point (< 324) -> byte, or -1

  ByteLevelTables() {
    byte_of_cp.fill(-1);
    auto printable = [](int b) {
      return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    };
    int next_extra = 256;  // non-printable bytes take U+0100.. in byte order
    for (int b = 0; b < 256; ++b) {
      int cp = printable(b) ? b : next_extra++;
      std::string utf8;
      if (cp < 0x80) {
        utf8.push_back(static_cast<char>(cp));
      } else {  // every stand-in is below U+0800: two bytes
        utf8.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        utf8.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      }
      char_of_byte[static_cast<size_t>(b)] = std::move(utf8);
      byte_of_cp[static_cast<size_t>(cp)] = static_cast<std::int16_t>(b);
    }
  }
};

const ByteLevelTables& tables() {
  static const ByteLevelTables t;
  return t;
}

}  // namespace

std::string_view byte_level_char(unsigned char byte) {
  return tables().char_of_byte[byte];
}

std::optional<std::string> byte_level_decode(std::string_view token) {
  const auto& t = tables();
  std::string out;
  out.reserve(token.size());
  for (size_t i = 0; i < token.size();) {
    auto c0 = static_cast<unsigned char>(token[i]);
    int cp = -1;
    if (c0 < 0x80) {
      cp = c0;
      i += 1;
    } else if ((c0 & 0xE0) == 0xC0 && i + 1 < token.size()) {
      cp = ((c0 & 0x1F) << 6) | (static_cast<unsigned char>(token[i + 1]) & 0x3F);
      i += 2;
    } else {
      return std::nullopt;  // 3/4-byte characters are never in the alphabet
    }
    if (cp >= static_cast<int>(t.byte_of_cp.size()) || t.byte_of_cp[static_cast<size_t>(cp)] < 0) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(t.byte_of_cp[static_cast<size_t>(cp)]));
  }
  return out;
}

}  // namespace odma::tokenizer
