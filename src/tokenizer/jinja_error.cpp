#include "tokenizer/jinja_error.h"

#include <algorithm>

namespace odma::tokenizer::jinja {

std::string describe_location(std::string_view source, std::uint32_t pos) {
  std::size_t end = std::min<std::size_t>(pos, source.size());
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < end; ++i) {
    auto c = static_cast<unsigned char>(source[i]);
    if (c == '\n') {
      ++line;
      column = 1;
    } else if ((c & 0xC0) != 0x80) {  // count code points, not continuation bytes
      ++column;
    }
  }
  return "line " + std::to_string(line) + ":" + std::to_string(column);
}

}  // namespace odma::tokenizer::jinja
