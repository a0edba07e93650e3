#include "tokenizer/jinja_text.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "tokenizer/jinja_case.h"

namespace odma::tokenizer::jinja {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

bool is_ascii_word(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// First UTF-16 code unit of a code point: the order JS compares strings by.
char32_t first_utf16_unit(char32_t cp) {
  return cp < 0x10000 ? cp : 0xD800 + ((cp - 0x10000) >> 10);
}

// Final sigma (Unicode 3.13): Σ lower-cases to ς after a cased letter and before no cased letter,
// case-ignorable characters skipped on both sides.
bool is_final_sigma(std::string_view s, std::size_t start, std::size_t end) {
  bool before = false;
  for (std::size_t j = start; j > 0;) {
    std::size_t back = j - 1;
    while (back > 0 && (static_cast<unsigned char>(s[back]) & 0xC0) == 0x80 && j - back < 4) --back;
    std::size_t k = back;
    char32_t cp = decode_utf8(s, k);
    j = back;
    if (is_case_ignorable(cp)) continue;
    before = is_cased(cp);
    break;
  }
  if (!before) return false;
  for (std::size_t j = end; j < s.size();) {
    char32_t cp = decode_utf8(s, j);
    if (is_case_ignorable(cp)) continue;
    return !is_cased(cp);
  }
  return true;
}

// Longest prefix of s that is a StrDecimalLiteral without sign: digits [. digits] [e[+-]digits]
// or . digits [...]. Returns its length (0 if none).
std::size_t decimal_prefix(std::string_view s) {
  std::size_t i = 0, int_digits = 0, frac_digits = 0;
  while (i < s.size() && is_digit(s[i])) ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    std::size_t j = i + 1;
    while (j < s.size() && is_digit(s[j])) ++j, ++frac_digits;
    if (int_digits == 0 && frac_digits == 0) return 0;
    i = j;
  } else if (int_digits == 0) {
    return 0;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    std::size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    std::size_t exp_start = j;
    while (j < s.size() && is_digit(s[j])) ++j;
    if (j > exp_start) i = j;
  }
  return i;
}

double parse_double(std::string_view s) {
  std::string copy(s);
  return std::strtod(copy.c_str(), nullptr);
}

std::string_view skip_sign(std::string_view s, bool& negative) {
  negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  return s;
}

void append_hex4(std::string& out, unsigned v) {
  static const char* digits = "0123456789abcdef";
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += digits[(v >> shift) & 0xF];
}

}  // namespace

char32_t decode_utf8(std::string_view s, std::size_t& i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) {
    ++i;
    return c;
  }
  std::size_t need = 0;
  char32_t cp = 0, min = 0;
  if (c >= 0xC2 && c <= 0xDF)
    need = 1, cp = c & 0x1F, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF)
    need = 2, cp = c & 0x0F, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4)
    need = 3, cp = c & 0x07, min = 0x10000;
  if (need == 0 || i + need >= s.size()) {
    ++i;
    return kReplacement;
  }
  for (std::size_t k = 1; k <= need; ++k) {
    unsigned char cc = b(i + k);
    if ((cc & 0xC0) != 0x80) {
      ++i;
      return kReplacement;
    }
    cp = (cp << 6) | (cc & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return kReplacement;
  }
  i += need + 1;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::size_t js_space_at(std::string_view s, std::size_t i) {
  if (i >= s.size()) return 0;
  auto b = [&](std::size_t k) {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0;
  };
  unsigned char c = b(0);
  if (c == ' ' || (c >= 0x09 && c <= 0x0D)) return 1;
  if (c == 0xC2 && b(1) == 0xA0) return 2;
  if (c == 0xE1 && b(1) == 0x9A && b(2) == 0x80) return 3;  // U+1680
  if (c == 0xE2 && b(1) == 0x80) {
    unsigned char d = b(2);
    if ((d >= 0x80 && d <= 0x8A) || d == 0xA8 || d == 0xA9 || d == 0xAF) return 3;
  }
  if (c == 0xE2 && b(1) == 0x81 && b(2) == 0x9F) return 3;  // U+205F
  if (c == 0xE3 && b(1) == 0x80 && b(2) == 0x80) return 3;  // U+3000
  if (c == 0xEF && b(1) == 0xBB && b(2) == 0xBF) return 3;  // U+FEFF
  return 0;
}

std::size_t js_space_before(std::string_view s, std::size_t end) {
  if (end == 0) return 0;
  if (js_space_at(s, end - 1) == 1) return 1;
  if (end >= 2 && js_space_at(s, end - 2) == 2) return 2;
  if (end >= 3 && js_space_at(s, end - 3) == 3) return 3;
  return 0;
}

std::string_view js_trim_start(std::string_view s) {
  std::size_t i = 0;
  while (std::size_t n = js_space_at(s, i)) i += n;
  return s.substr(i);
}

std::string_view js_trim_end(std::string_view s) {
  std::size_t end = s.size();
  while (std::size_t n = js_space_before(s, end)) end -= n;
  return s.substr(0, end);
}

std::size_t utf16_length(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i, ++n;
      continue;
    }
    n += decode_utf8(s, i) >= 0x10000 ? 2 : 1;
  }
  return n;
}

std::size_t utf16_index_to_byte(std::string_view s, std::size_t index) {
  std::size_t units = 0, i = 0;
  while (units < index && i < s.size()) {
    units += decode_utf8(s, i) >= 0x10000 ? 2 : 1;
  }
  return units == index ? i : std::string_view::npos;
}

int js_compare(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    char32_t x = decode_utf8(a, i), y = decode_utf8(b, j);
    if (x == y) continue;
    char32_t ux = first_utf16_unit(x), uy = first_utf16_unit(y);
    if (ux != uy) return ux < uy ? -1 : 1;
    return x < y ? -1 : 1;
  }
  if (i < a.size()) return 1;
  if (j < b.size()) return -1;
  return 0;
}

std::string js_upper(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out += static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
      ++i;
      continue;
    }
    std::size_t start = i;
    char32_t cp = decode_utf8(s, i);
    if (cp == kReplacement && i == start + 1) {
      out += s[start];  // keep a malformed byte as it was
    } else {
      append_case(out, cp, true);
    }
  }
  return out;
}

std::string js_lower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
      ++i;
      continue;
    }
    std::size_t start = i;
    char32_t cp = decode_utf8(s, i);
    if (cp == kReplacement && i == start + 1) {
      out += s[start];
    } else if (cp == 0x03A3 && is_final_sigma(s, start, i)) {
      out += "\xCF\x82";  // ς
    } else {
      append_case(out, cp, false);
    }
  }
  return out;
}

std::string js_title(std::string_view s) {
  std::string out(s);
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto c = static_cast<unsigned char>(out[i]);
    bool boundary = i == 0 || !is_ascii_word(static_cast<unsigned char>(s[i - 1]));
    if (boundary && c >= 'a' && c <= 'z') out[i] = static_cast<char>(c - 32);
  }
  return out;
}

std::string js_capitalize(std::string_view s) {
  if (s.empty()) return {};
  std::size_t i = 0;
  char32_t cp = decode_utf8(s, i);
  if (cp >= 0x10000) return std::string(s);  // charAt(0) is half a surrogate pair: unchanged
  return js_upper(s.substr(0, i)) + std::string(s.substr(i));
}

std::string js_number(double v) {
  if (std::isnan(v)) return "NaN";
  if (v == 0) return "0";
  if (std::isinf(v)) return v < 0 ? "-Infinity" : "Infinity";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));  // [-]d[.ddd]e[+-]xx
  std::string out;
  if (sci[0] == '-') {
    out += '-';
    sci.remove_prefix(1);
  }
  std::size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits += c;
  }
  int exponent = std::atoi(std::string(sci.substr(e + 1)).c_str());
  int k = static_cast<int>(digits.size());
  int n = exponent + 1;  // value = 0.digits * 10^n
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<std::size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<std::size_t>(n));
    out += '.';
    out += digits.substr(static_cast<std::size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += 'e';
    out += n - 1 >= 0 ? '+' : '-';
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

std::string js_float(double v) {
  if (v == 0 && std::signbit(v)) return "-0.0";
  if (std::isfinite(v) && std::fmod(v, 1.0) == 0 && std::fabs(v) < 1e21) {
    char buf[400];
    std::snprintf(buf, sizeof(buf), "%.1f", v);
    return buf;
  }
  return js_number(v);
}

double js_string_to_number(std::string_view s) {
  s = js_trim(s);
  if (s.empty()) return 0;
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  if (s.size() > 2 && s[0] == '0') {
    int radix = (s[1] == 'x' || s[1] == 'X')   ? 16
                : (s[1] == 'o' || s[1] == 'O') ? 8
                : (s[1] == 'b' || s[1] == 'B') ? 2
                                               : 0;
    if (radix != 0) {
      double value = 0;
      for (char c : s.substr(2)) {
        int d = is_digit(c)              ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : 99;
        if (d >= radix) return kNaN;
        value = value * radix + d;
      }
      return value;
    }
  }
  bool negative = false;
  std::string_view body = skip_sign(s, negative);
  if (body == "Infinity") return negative ? -INFINITY : INFINITY;
  if (decimal_prefix(body) != body.size()) return kNaN;
  return parse_double(s);
}

double js_parse_int(std::string_view s) {
  bool negative = false;
  std::string_view body = skip_sign(js_trim_start(s), negative);
  std::size_t n = 0;
  while (n < body.size() && is_digit(body[n])) ++n;
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  double value = parse_double(body.substr(0, n));
  return negative ? -value : value;
}

double js_parse_float(std::string_view s) {
  bool negative = false;
  std::string_view body = skip_sign(js_trim_start(s), negative);
  if (body.substr(0, 8) == "Infinity") return negative ? -INFINITY : INFINITY;
  std::size_t n = decimal_prefix(body);
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  double value = parse_double(body.substr(0, n));
  return negative ? -value : value;
}

void append_json_string(std::string& out, std::string_view s, bool ensure_ascii) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      std::size_t start = i;
      char32_t cp = decode_utf8(s, i);
      if (!ensure_ascii) {
        out.append(s.substr(start, i - start));
      } else if (cp < 0x10000) {
        append_hex4(out, static_cast<unsigned>(cp));
      } else {
        char32_t v = cp - 0x10000;
        append_hex4(out, static_cast<unsigned>(0xD800 + (v >> 10)));
        append_hex4(out, static_cast<unsigned>(0xDC00 + (v & 0x3FF)));
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || (c == 0x7F && ensure_ascii)) {
          append_hex4(out, c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

}  // namespace odma::tokenizer::jinja
