#include "tokenizer/jinja_case.h"

#include <algorithm>
#include <cstdint>
#include <iterator>

#include "tokenizer/jinja_text.h"

namespace odma::tokenizer::jinja {
namespace {

struct CaseRun {
  char32_t start;
  std::uint32_t count;
  std::uint32_t stride;
  std::int32_t delta;
};
struct CaseSpecial {
  char32_t cp;
  const char* utf8;
};
struct CodeRange {
  char32_t first, last;
};

#include "tokenizer/jinja_case_table.inc"

template <std::size_t N>
const char* find_special(const CaseSpecial (&table)[N], char32_t cp) {
  auto it = std::lower_bound(std::begin(table), std::end(table), cp,
                             [](const CaseSpecial& s, char32_t c) { return s.cp < c; });
  return it != std::end(table) && it->cp == cp ? it->utf8 : nullptr;
}

template <std::size_t N>
char32_t map_runs(const CaseRun (&runs)[N], char32_t cp) {
  auto it = std::upper_bound(std::begin(runs), std::end(runs), cp,
                             [](char32_t c, const CaseRun& r) { return c < r.start; });
  if (it == std::begin(runs)) return cp;
  const CaseRun& r = *std::prev(it);
  std::uint32_t offset = cp - r.start;
  if (offset % r.stride != 0 || offset / r.stride >= r.count) return cp;
  return static_cast<char32_t>(static_cast<std::int64_t>(cp) + r.delta);
}

template <std::size_t N>
bool in_ranges(const CodeRange (&ranges)[N], char32_t cp) {
  auto it = std::upper_bound(std::begin(ranges), std::end(ranges), cp,
                             [](char32_t c, const CodeRange& r) { return c < r.first; });
  return it != std::begin(ranges) && cp <= std::prev(it)->last;
}

}  // namespace

void append_case(std::string& out, char32_t cp, bool upper) {
  if (const char* s = upper ? find_special(kUpperSpecial, cp) : find_special(kLowerSpecial, cp)) {
    out += s;
    return;
  }
  append_utf8(out, upper ? map_runs(kUpperRuns, cp) : map_runs(kLowerRuns, cp));
}

bool is_cased(char32_t cp) {
  return in_ranges(kCased, cp);
}
bool is_case_ignorable(char32_t cp) {
  return in_ranges(kCaseIgnorable, cp);
}

}  // namespace odma::tokenizer::jinja
