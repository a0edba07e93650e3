#include "tokenizer/jinja_lexer.h"

#include <array>
#include <cctype>
#include <utility>

#include "tokenizer/jinja_error.h"
#include "tokenizer/jinja_text.h"

namespace odma::tokenizer::jinja {
namespace {

// Builds the next preprocessing stage from `in` by dropping byte ranges, keeping each kept
// byte's source offset. Ranges must be dropped in increasing order.
class Rewriter {
 public:
  explicit Rewriter(const Preprocessed& input) : in_(input) {
    out_.text.reserve(in_.text.size());
    out_.origin.reserve(in_.origin.size());
  }
  void drop(std::size_t begin, std::size_t end) {
    keep_until(begin);
    kept_ = end;
  }
  Preprocessed finish() {
    keep_until(in_.text.size());
    out_.origin.push_back(in_.origin.back());
    return std::move(out_);
  }

 private:
  void keep_until(std::size_t end) {
    if (end <= kept_) return;
    out_.text.append(in_.text, kept_, end - kept_);
    out_.origin.insert(out_.origin.end(), in_.origin.begin() + static_cast<std::ptrdiff_t>(kept_),
                       in_.origin.begin() + static_cast<std::ptrdiff_t>(end));
    kept_ = end;
  }

  const Preprocessed& in_;
  Preprocessed out_;
  std::size_t kept_ = 0;  // bytes before this are copied or dropped
};

bool at(std::string_view s, std::size_t i, std::string_view what) {
  return s.substr(std::min(i, s.size()), what.size()) == what;
}

// JS multiline "^": the start, or just after \n, \r, U+2028 or U+2029.
bool line_start(std::string_view s, std::size_t i) {
  if (i == 0) return true;
  char prev = s[i - 1];
  if (prev == '\n' || prev == '\r') return true;
  return i >= 3 && (at(s, i - 3, "\xE2\x80\xA8") || at(s, i - 3, "\xE2\x80\xA9"));
}

// lstrip_blocks: /^[ \t]*({[#%-])/gm -> "$1".
Preprocessed lstrip_blocks(const Preprocessed& in) {
  Rewriter r(in);
  const std::string& s = in.text;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != ' ' && s[i] != '\t') continue;
    if (!line_start(s, i)) continue;
    std::size_t j = i;
    while (j < s.size() && (s[j] == ' ' || s[j] == '\t')) ++j;
    if (j + 1 < s.size() && s[j] == '{' &&
        (s[j + 1] == '#' || s[j + 1] == '%' || s[j + 1] == '-')) {
      r.drop(i, j);
    }
    i = j;
  }
  return r.finish();
}

// trim_blocks: /([#%-]})\n/g -> "$1".
Preprocessed trim_blocks(const Preprocessed& in) {
  Rewriter r(in);
  const std::string& s = in.text;
  for (std::size_t i = s.find('}', 1); i != std::string::npos && i + 1 < s.size();
       i = s.find('}', i + 1)) {
    char before = s[i - 1];
    if ((before == '#' || before == '%' || before == '-') && s[i + 1] == '\n') r.drop(i + 1, i + 2);
  }
  return r.finish();
}

std::size_t skip_spaces(std::string_view s, std::size_t i) {
  while (std::size_t n = js_space_at(s, i)) i += n;
  return i;
}

// Matches {%-? \s* (end)?generation \s* -?%} at i; returns the end offset or 0.
std::size_t match_generation_tag(std::string_view s, std::size_t i, bool& lstrip, bool& rstrip) {
  if (!at(s, i, "{%")) return 0;
  std::size_t j = i + 2;
  lstrip = at(s, j, "-");
  if (lstrip) ++j;
  j = skip_spaces(s, j);
  if (at(s, j, "end")) j += 3;
  if (!at(s, j, "generation")) return 0;
  j = skip_spaces(s, j + 10);
  rstrip = at(s, j, "-");
  if (rstrip) ++j;
  if (!at(s, j, "%}")) return 0;
  return j + 2;
}

// /(\s*){%(-?)\s*(?:end)?generation\s*(-?)%}(\s*)/gs -> (lstrip ? "" : $1) + (rstrip ? "" : $4)
Preprocessed strip_generation_tags(const Preprocessed& in) {
  const std::string& s = in.text;
  if (s.find("generation") == std::string::npos) return in;
  Rewriter r(in);
  std::size_t done = 0;  // end of the previous match
  for (std::size_t i = s.find("{%"); i != std::string::npos; i = s.find("{%", i + 1)) {
    if (i < done) continue;
    bool lstrip = false, rstrip = false;
    std::size_t tag_end = match_generation_tag(s, i, lstrip, rstrip);
    if (tag_end == 0) continue;
    std::size_t before = i;
    while (before > done) {
      std::size_t n = js_space_before(s, before);
      if (n == 0 || before - n < done) break;
      before -= n;
    }
    std::size_t after = skip_spaces(s, tag_end);
    r.drop(lstrip ? before : i, rstrip ? after : tag_end);
    done = after;
  }
  return r.finish();
}

bool is_word(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

struct Rule {
  std::string_view text;
  Tok type;
};

// The oracle's ORDERED_MAPPING_TABLE: longer operators before their prefixes.
constexpr std::array<Rule, 29> kRules = {{
    {"{%", Tok::kOpenStmt},      {"%}", Tok::kCloseStmt},
    {"{{", Tok::kOpenExpr},      {"}}", Tok::kCloseExpr},
    {"(", Tok::kLParen},         {")", Tok::kRParen},
    {"{", Tok::kLBrace},         {"}", Tok::kRBrace},
    {"[", Tok::kLBracket},       {"]", Tok::kRBracket},
    {",", Tok::kComma},          {".", Tok::kDot},
    {":", Tok::kColon},          {"|", Tok::kPipe},
    {"<=", Tok::kComparison},    {">=", Tok::kComparison},
    {"==", Tok::kComparison},    {"!=", Tok::kComparison},
    {"<", Tok::kComparison},     {">", Tok::kComparison},
    {"+", Tok::kAdditive},       {"-", Tok::kAdditive},
    {"~", Tok::kAdditive},       {"**", Tok::kPower},
    {"*", Tok::kMultiplicative}, {"//", Tok::kMultiplicative},
    {"/", Tok::kMultiplicative}, {"%", Tok::kMultiplicative},
    {"=", Tok::kEquals},
}};

class Lexer {
 public:
  explicit Lexer(std::string_view source) : pre_(preprocess(source)), src_(pre_.text) {}

  std::vector<Token> run() {
    while (cur_ < src_.size()) step();
    if (!tokens_.empty() && inside_tag()) unexpected_end();
    return std::move(tokens_);
  }

 private:
  std::uint32_t pos(std::size_t i) const { return pre_.origin[std::min(i, src_.size())]; }
  Tok last() const { return tokens_.back().type; }
  bool text_mode() const {
    return tokens_.empty() || last() == Tok::kCloseStmt || last() == Tok::kCloseExpr ||
           last() == Tok::kComment;
  }
  bool inside_tag() const { return !text_mode() && last() != Tok::kText; }

  void push(Tok type, std::string value, std::size_t start) {
    if (type == Tok::kOpenStmt || type == Tok::kOpenExpr) {
      open_pos_ = pos(start);
      open_is_expr_ = type == Tok::kOpenExpr;
    }
    tokens_.push_back({type, std::move(value), pos(start)});
  }

  [[noreturn]] void unexpected_end() const {
    throw TemplateError(open_pos_, open_is_expr_ ? "unclosed '{{' (expected '}}')"
                                                 : "unclosed '{%' (expected '%}')");
  }

  void strip_trailing_whitespace() {
    if (tokens_.empty() || last() != Tok::kText) return;
    std::string& text = tokens_.back().value;
    text.resize(js_trim_end(text).size());
    if (text.empty()) tokens_.pop_back();
  }

  void skip_leading_whitespace() { cur_ = skip_spaces(src_, cur_); }

  void step() {
    if (text_mode()) {
      std::size_t start = cur_;
      while (cur_ < src_.size() &&
             !(src_[cur_] == '{' && cur_ + 1 < src_.size() &&
               (src_[cur_ + 1] == '%' || src_[cur_ + 1] == '{' || src_[cur_ + 1] == '#'))) {
        ++cur_;
      }
      if (cur_ > start) {
        push(Tok::kText, src_.substr(start, cur_ - start), start);
        return;
      }
    }
    if (at(src_, cur_, "{#")) return comment();
    if (at(src_, cur_, "{%-") || at(src_, cur_, "{{-")) {
      strip_trailing_whitespace();
      push(src_[cur_ + 1] == '%' ? Tok::kOpenStmt : Tok::kOpenExpr, src_.substr(cur_, 2), cur_);
      if (src_[cur_ + 1] == '{') brace_depth_ = 0;
      cur_ += 3;
      return;
    }
    // Whitespace inside a tag; running into the end here means the tag was never closed.
    while (std::size_t n = js_space_at(src_, cur_)) {
      cur_ += n;
      if (cur_ >= src_.size()) unexpected_end();
    }
    if (at(src_, cur_, "-%}") || at(src_, cur_, "-}}")) {
      push(src_[cur_ + 1] == '%' ? Tok::kCloseStmt : Tok::kCloseExpr, src_.substr(cur_ + 1, 2),
           cur_);
      cur_ += 3;
      skip_leading_whitespace();
      return;
    }
    char c = src_[cur_];
    if ((c == '-' || c == '+') && unary_position()) return unary(c);
    for (const Rule& rule : kRules) {
      if (rule.text[0] != c) continue;
      if (rule.text == "}}" && brace_depth_ > 0) continue;
      if (!at(src_, cur_, rule.text)) continue;
      push(rule.type, std::string(rule.text), cur_);
      if (rule.type == Tok::kOpenExpr) brace_depth_ = 0;
      if (rule.type == Tok::kLBrace) ++brace_depth_;
      if (rule.type == Tok::kRBrace) --brace_depth_;
      cur_ += rule.text.size();
      return;
    }
    if (c == '\'' || c == '"') return string_literal(c);
    if (is_digit(c)) return number();
    if (is_word(c)) {
      std::size_t start = cur_;
      while (cur_ < src_.size() && is_word(src_[cur_])) ++cur_;
      if (cur_ >= src_.size()) unexpected_end();
      push(Tok::kName, src_.substr(start, cur_ - start), start);
      return;
    }
    std::size_t end = cur_;
    decode_utf8(src_, end);
    throw TemplateError(pos(cur_), "unexpected character '" + src_.substr(cur_, end - cur_) + "'");
  }

  // A "-"/"+" is unary unless it follows something that ends an operand.
  bool unary_position() const {
    switch (last()) {
      case Tok::kName:
      case Tok::kNumber:
      case Tok::kString:
      case Tok::kRParen:
      case Tok::kRBracket:
        return false;
      default:
        return true;
    }
  }

  std::string digits() {
    std::size_t start = cur_;
    while (cur_ < src_.size() && is_digit(src_[cur_])) ++cur_;
    if (cur_ > start && cur_ >= src_.size()) unexpected_end();
    return src_.substr(start, cur_ - start);
  }

  bool fraction_follows() const {
    return cur_ + 1 < src_.size() && src_[cur_] == '.' && is_digit(src_[cur_ + 1]);
  }

  void unary(char sign) {
    std::size_t start = cur_++;
    std::string num = digits();
    if (!num.empty() && fraction_follows()) {
      ++cur_;
      num += "." + digits();
    }
    push(num.empty() ? Tok::kUnary : Tok::kNumber, sign + num, start);
  }

  void number() {
    std::size_t start = cur_;
    bool after_dot = last() == Tok::kDot;
    std::string num = digits();
    if (!after_dot && fraction_follows()) {
      ++cur_;
      num += "." + digits();
    }
    push(Tok::kNumber, num, start);
  }

  void string_literal(char quote) {
    std::size_t start = cur_++;
    std::string value;
    char16_t pending_high = 0;  // a \uD800-\uDBFF escape waiting for its low half
    auto flush_high = [&] {
      if (pending_high != 0) append_utf8(value, 0xFFFD);
      pending_high = 0;
    };
    auto unterminated = [&] { throw TemplateError(pos(start), "unterminated string literal"); };
    while (true) {
      if (cur_ >= src_.size()) unterminated();
      char c = src_[cur_];
      if (c == quote) break;
      if (c != '\\') {
        flush_high();
        value += c;
        if (++cur_ >= src_.size()) unterminated();
        continue;
      }
      if (++cur_ >= src_.size()) unterminated();
      char e = src_[cur_++];
      if (e == 'x' || e == 'u') {
        std::size_t len = e == 'x' ? 2 : 4;
        std::string hex = src_.substr(cur_, len);
        bool ok = hex.size() == len;
        for (char h : hex) ok = ok && std::isxdigit(static_cast<unsigned char>(h));
        if (!ok)
          throw TemplateError(pos(cur_ - 2), "invalid escape '\\" + std::string(1, e) + hex + "'");
        auto unit = static_cast<char16_t>(std::stoul(hex, nullptr, 16));
        cur_ += len;
        if (unit >= 0xDC00 && unit <= 0xDFFF && pending_high != 0) {
          append_utf8(value, 0x10000 + ((static_cast<char32_t>(pending_high) - 0xD800) << 10) +
                                 (unit - 0xDC00));
          pending_high = 0;
        } else if (unit >= 0xD800 && unit <= 0xDBFF) {
          flush_high();
          pending_high = unit;
        } else {
          flush_high();
          append_utf8(value, unit >= 0xD800 && unit <= 0xDFFF ? 0xFFFD : unit);
        }
        continue;
      }
      flush_high();
      switch (e) {
        case 'n':
          value += '\n';
          break;
        case 't':
          value += '\t';
          break;
        case 'r':
          value += '\r';
          break;
        case 'b':
          value += '\b';
          break;
        case 'f':
          value += '\f';
          break;
        case 'v':
          value += '\v';
          break;
        case '\'':
          value += '\'';
          break;
        case '"':
          value += '"';
          break;
        case '\\':
          value += '\\';
          break;
        default:
          throw TemplateError(pos(cur_ - 2), "invalid escape '\\" + std::string(1, e) + "'");
      }
    }
    flush_high();
    ++cur_;  // closing quote
    push(Tok::kString, std::move(value), start);
  }

  void comment() {
    std::size_t start = cur_;
    cur_ += 2;
    bool strip_before = at(src_, cur_, "-");
    if (strip_before) ++cur_;
    std::size_t body = cur_;
    while (!at(src_, cur_, "#}")) {
      if (cur_ + 2 >= src_.size())
        throw TemplateError(pos(start), "unclosed comment (expected '#}')");
      ++cur_;
    }
    std::string text = src_.substr(body, cur_ - body);
    bool strip_after = !text.empty() && text.back() == '-';
    if (strip_after) text.pop_back();
    if (strip_before) strip_trailing_whitespace();
    push(Tok::kComment, std::move(text), start);
    cur_ += 2;
    if (strip_after) skip_leading_whitespace();
  }

  Preprocessed pre_;
  const std::string& src_;
  std::size_t cur_ = 0;
  int brace_depth_ = 0;  // "{" nesting inside an expression: "}}" there closes two braces
  std::vector<Token> tokens_;
  std::uint32_t open_pos_ = 0;  // the last "{{" / "{%" opened
  bool open_is_expr_ = true;
};

}  // namespace

Preprocessed preprocess(std::string_view source) {
  Preprocessed p;
  p.text.assign(source);
  if (!p.text.empty() && p.text.back() == '\n') p.text.pop_back();
  p.origin.resize(p.text.size() + 1);
  for (std::size_t i = 0; i <= p.text.size(); ++i) p.origin[i] = static_cast<std::uint32_t>(i);
  return strip_generation_tags(trim_blocks(lstrip_blocks(p)));
}

std::vector<Token> tokenize(std::string_view source) {
  if (source.size() >= UINT32_MAX) throw TemplateError(0, "template too large");
  return Lexer(source).run();
}

}  // namespace odma::tokenizer::jinja
