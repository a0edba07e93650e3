// JavaScript string semantics on UTF-8 bytes.
//
// The oracle, @huggingface/jinja, runs on JS strings (UTF-16 code units), so "whitespace",
// "length", number printing and JSON quoting must follow ECMAScript, not C or Python:
//   - whitespace is JS's \s / String.prototype.trim set (ASCII \t\n\v\f\r and space, U+00A0,
//     U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000, U+FEFF; not U+0085);
//   - a string's length counts UTF-16 code units (an emoji is 2);
//   - numbers print as Number.prototype.toString does (shortest round trip, 1e+21, 1.5e-7).
// Invalid UTF-8 is passed through untouched by everything except the functions that must decode
// (they read each bad byte as U+FFFD).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace odma::tokenizer::jinja {

// Decodes the code point at s[i] and advances i past it; a malformed byte reads as U+FFFD.
char32_t decode_utf8(std::string_view s, std::size_t& i);
void append_utf8(std::string& out, char32_t cp);

// Byte length of the JS whitespace character starting at s[i] (0 if none or i is at the end).
std::size_t js_space_at(std::string_view s, std::size_t i);
// Byte length of the JS whitespace character that ends just before s[end] (0 if none).
std::size_t js_space_before(std::string_view s, std::size_t end);

std::string_view js_trim_start(std::string_view s);
std::string_view js_trim_end(std::string_view s);
inline std::string_view js_trim(std::string_view s) {
  return js_trim_end(js_trim_start(s));
}

// Number of UTF-16 code units (JS String.length).
std::size_t utf16_length(std::string_view s);
// Byte offset of UTF-16 index `index` (0 <= index <= utf16_length); an index that falls inside
// a surrogate pair yields npos (JS would hand out a lone surrogate there).
std::size_t utf16_index_to_byte(std::string_view s, std::size_t index);
// -1, 0, 1 as JS's < and > order strings (by UTF-16 code units).
int js_compare(std::string_view a, std::string_view b);

// String.prototype.toUpperCase / toLowerCase: full Unicode case mapping (ß -> SS, İ -> i̇) with
// the Final_Sigma rule, from the oracle runtime's own tables (jinja_case.h).
std::string js_upper(std::string_view s);
std::string js_lower(std::string_view s);
// Python-ish title() as @huggingface/jinja writes it: /\b\w/g upper-cased (ASCII word chars).
std::string js_title(std::string_view s);
// charAt(0).toUpperCase() + slice(1).
std::string js_capitalize(std::string_view s);

// Number.prototype.toString(): "NaN", "Infinity", "-Infinity", "0" for ±0, otherwise the
// shortest round-trip digits laid out by ECMAScript's Number::toString rules.
std::string js_number(double v);
// FloatValue.toString() of the oracle: "-0.0" for -0, x.toFixed(1) when x is integral, else
// js_number(x).
std::string js_float(double v);
// JS ToNumber(string) (StringToNumber): trims whitespace, "" -> 0, hex/octal/binary integer
// literals, "Infinity"; anything else that is not a decimal literal is NaN.
double js_string_to_number(std::string_view s);
// parseInt(s, 10) and parseFloat(s): longest numeric prefix after leading whitespace, NaN if none.
double js_parse_int(std::string_view s);
double js_parse_float(std::string_view s);

// JSON.stringify(string): escapes " \ \b \f \n \r \t and other C0 controls as \u00xx; with
// ensure_ascii also every UTF-16 unit >= 0x7f as \uxxxx (what the oracle's makeAsciiSafe does).
void append_json_string(std::string& out, std::string_view s, bool ensure_ascii);

}  // namespace odma::tokenizer::jinja
