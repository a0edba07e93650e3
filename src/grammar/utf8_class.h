// Sets of Unicode code points and their UTF-8 byte automata.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "grammar/grammar_graph.h"

namespace odma::grammar {

struct CodeRange {
  std::uint32_t lo = 0;
  std::uint32_t hi = 0;
};
// Sorted, disjoint, never containing surrogates (U+D800..U+DFFF have no UTF-8 form).
using CodeSet = std::vector<CodeRange>;

CodeSet make_code_set(std::vector<CodeRange> ranges);
CodeSet complement(const CodeSet& s);
CodeSet intersect(const CodeSet& a, const CodeSet& b);

// Paths of the UTF-8 encodings of every code point in `s` (valid UTF-8 only: no overlong forms,
// no surrogates).
Frag code_set_frag(GraphBuilder& b, const CodeSet& s);

void append_utf8(std::string& out, std::uint32_t cp);
// The code points of valid UTF-8 `text`; false if it is not valid UTF-8.
bool decode_utf8(std::string_view text, std::vector<std::uint32_t>& out);

}  // namespace odma::grammar
