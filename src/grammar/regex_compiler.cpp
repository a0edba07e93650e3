#include "grammar/regex_compiler.h"

#include <limits>
#include <vector>

#include "grammar/utf8_class.h"

namespace odma::grammar {

namespace {

// Repetition bounds above this would make graphs too large to be useful.
constexpr int kMaxRepeat = 1000;
// ...and so would the total: the builder's node count is checked after each repetition.
constexpr std::size_t kMaxNodes = 1'000'000;

struct Re {
  enum class Kind { kSet, kSeq, kAlt, kRepeat };
  Kind kind = Kind::kSeq;
  CodeSet set;
  std::vector<Re> kids;
  int min = 0;
  int max = 0;  // -1: unbounded
};

Re set_of(std::vector<CodeRange> ranges) {
  Re r;
  r.kind = Re::Kind::kSet;
  r.set = make_code_set(std::move(ranges));
  return r;
}

CodeSet digits() {
  return make_code_set({{'0', '9'}});
}
CodeSet word() {
  return make_code_set({{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}});
}
CodeSet space() {
  return make_code_set({{'\t', '\r'},
                        {' ', ' '},
                        {0xA0, 0xA0},
                        {0x1680, 0x1680},
                        {0x2000, 0x200A},
                        {0x2028, 0x2029},
                        {0x202F, 0x202F},
                        {0x205F, 0x205F},
                        {0x3000, 0x3000},
                        {0xFEFF, 0xFEFF}});
}
CodeSet dot() {
  return complement(make_code_set({{'\n', '\n'}, {'\r', '\r'}, {0x2028, 0x2029}}));
}

class Parser {
 public:
  Parser(std::string_view p, std::string path) : p_(p), path_(std::move(path)) {}

  struct Alternative {
    Re body;
    bool start_anchor = false;
    bool end_anchor = false;
  };

  std::vector<Alternative> parse_top() {
    std::vector<Alternative> alts;
    while (true) {
      Alternative a;
      if (peek('^')) ++i_, a.start_anchor = true;
      a.body = parse_seq(true, &a.end_anchor);
      alts.push_back(std::move(a));
      if (i_ >= p_.size()) break;
      ++i_;  // '|'
    }
    return alts;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw GrammarError("regular expression /" + std::string(p_) + "/: " + what, path_);
  }
  bool peek(char c) const { return i_ < p_.size() && p_[i_] == c; }

  std::uint32_t next_code_point() {
    auto b0 = static_cast<std::uint8_t>(p_[i_++]);
    if (b0 < 0x80) return b0;
    int extra = b0 >= 0xF0 ? 3 : b0 >= 0xE0 ? 2 : b0 >= 0xC0 ? 1 : -1;
    if (extra < 0 || i_ + static_cast<std::size_t>(extra) > p_.size()) fail("invalid UTF-8");
    std::uint32_t cp = b0 & (0x3FU >> extra);
    for (int k = 0; k < extra; ++k) cp = (cp << 6) | (static_cast<std::uint8_t>(p_[i_++]) & 0x3F);
    return cp;
  }

  Re parse_alt() {
    Re alt;
    alt.kind = Re::Kind::kAlt;
    while (true) {
      alt.kids.push_back(parse_seq(false, nullptr));
      if (!peek('|')) break;
      ++i_;
    }
    return alt.kids.size() == 1 ? std::move(alt.kids[0]) : alt;
  }

  Re parse_seq(bool top, bool* end_anchor) {
    Re seq;
    seq.kind = Re::Kind::kSeq;
    while (i_ < p_.size() && !peek('|') && !peek(')')) {
      if (peek('$')) {
        ++i_;
        if (!top || (i_ < p_.size() && !peek('|'))) fail("'$' is supported only at the end");
        *end_anchor = true;
        break;
      }
      if (peek('^')) fail("'^' is supported only at the start");
      Re atom = parse_atom();
      parse_quantifier(atom);
      seq.kids.push_back(std::move(atom));
    }
    if (top && peek(')')) fail("unbalanced ')'");
    return seq;
  }

  bool parse_int(int& out) {
    std::size_t start = i_;
    long long v = 0;
    while (i_ < p_.size() && p_[i_] >= '0' && p_[i_] <= '9') {
      v = std::min<long long>(v * 10 + (p_[i_++] - '0'), std::numeric_limits<int>::max());
    }
    out = static_cast<int>(v);
    return i_ > start;
  }

  void parse_quantifier(Re& atom) {
    int min = 0, max = 0;
    if (peek('*')) {
      ++i_, min = 0, max = -1;
    } else if (peek('+')) {
      ++i_, min = 1, max = -1;
    } else if (peek('?')) {
      ++i_, min = 0, max = 1;
    } else if (peek('{')) {
      std::size_t save = i_++;
      if (!parse_int(min)) return void(i_ = save);  // a literal '{' (Annex B)
      max = min;
      if (peek(',')) {
        ++i_;
        if (!parse_int(max)) max = -1;
      }
      if (!peek('}')) return void(i_ = save);
      ++i_;
      if (max >= 0 && max < min) fail("repetition {m,n} with n < m");
      if (min > kMaxRepeat || max > kMaxRepeat) {
        fail("repetition bounds above " + std::to_string(kMaxRepeat) + " are not supported");
      }
    } else {
      return;
    }
    if (peek('?')) ++i_;  // lazy: same language
    if (peek('*') || peek('+') || peek('?') || peek('{')) fail("nothing to repeat");
    Re rep;
    rep.kind = Re::Kind::kRepeat;
    rep.min = min;
    rep.max = max;
    rep.kids.push_back(std::move(atom));
    atom = std::move(rep);
  }

  Re parse_atom() {
    char c = p_[i_];
    if (c == '(') {
      ++i_;
      if (peek('?')) {
        if (i_ + 1 < p_.size() && p_[i_ + 1] == ':') {
          i_ += 2;
        } else {
          fail("lookaround and named groups are not supported");
        }
      }
      Re inner = parse_alt();
      if (!peek(')')) fail("missing ')'");
      ++i_;
      return inner;
    }
    if (c == '[') return parse_class();
    if (c == '.') return ++i_, set_of(dot());
    if (c == '*' || c == '+' || c == '?') fail("nothing to repeat");
    if (c == '\\') {
      ++i_;
      CodeSet s = parse_escape(false);
      Re r;
      r.kind = Re::Kind::kSet;
      r.set = std::move(s);
      return r;
    }
    std::uint32_t cp = next_code_point();
    return set_of({{cp, cp}});
  }

  std::uint32_t parse_hex(int n) {
    if (i_ + static_cast<std::size_t>(n) > p_.size()) fail("incomplete escape");
    std::uint32_t v = 0;
    for (int k = 0; k < n; ++k) {
      char h = p_[i_++];
      int d = h >= '0' && h <= '9'   ? h - '0'
              : h >= 'a' && h <= 'f' ? h - 'a' + 10
              : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                     : -1;
      if (d < 0) fail("bad hex escape");
      v = v * 16 + static_cast<std::uint32_t>(d);
    }
    return v;
  }

  // After a backslash. in_class: \b is a backspace there.
  CodeSet parse_escape(bool in_class) {
    if (i_ >= p_.size()) fail("trailing backslash");
    char c = p_[i_++];
    auto one = [](std::uint32_t cp) { return make_code_set({{cp, cp}}); };
    switch (c) {
      case 'd':
        return digits();
      case 'D':
        return complement(digits());
      case 'w':
        return word();
      case 'W':
        return complement(word());
      case 's':
        return space();
      case 'S':
        return complement(space());
      case 'n':
        return one('\n');
      case 'r':
        return one('\r');
      case 't':
        return one('\t');
      case 'f':
        return one('\f');
      case 'v':
        return one('\v');
      case '0':
        return one(0);
      case 'x':
        return one(parse_hex(2));
      case 'u': {
        std::uint32_t cp = parse_hex(4);
        if (cp >= 0xD800 && cp <= 0xDBFF && i_ + 6 <= p_.size() && p_[i_] == '\\' &&
            p_[i_ + 1] == 'u') {
          i_ += 2;
          std::uint32_t low = parse_hex(4);
          if (low < 0xDC00 || low > 0xDFFF) fail("unpaired surrogate escape");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        return one(cp);
      }
      case 'b':
        if (in_class) return one('\b');
        fail("word boundaries (\\b) are not supported");
      case 'B':
        fail("word boundaries (\\B) are not supported");
      case 'c':
        fail("control escapes (\\c) are not supported");
      case 'k':
        fail("backreferences are not supported");
      case 'p':
      case 'P':
        fail("Unicode property escapes are not supported");
      default:
        if (c >= '1' && c <= '9') fail("backreferences are not supported");
        --i_;
        std::uint32_t cp = next_code_point();
        return one(cp);
    }
  }

  Re parse_class() {
    ++i_;  // '['
    bool negate = peek('^');
    if (negate) ++i_;
    std::vector<CodeRange> ranges;
    while (true) {
      if (i_ >= p_.size()) fail("missing ']'");
      if (peek(']')) break;
      CodeSet lo_set = class_atom();
      if (peek('-') && i_ + 1 < p_.size() && p_[i_ + 1] != ']') {
        ++i_;
        CodeSet hi_set = class_atom();
        if (lo_set.size() != 1 || lo_set[0].lo != lo_set[0].hi || hi_set.size() != 1 ||
            hi_set[0].lo != hi_set[0].hi) {
          fail("a class range needs single characters at both ends");
        }
        if (hi_set[0].lo < lo_set[0].lo) fail("class range out of order");
        ranges.push_back({lo_set[0].lo, hi_set[0].lo});
      } else {
        ranges.insert(ranges.end(), lo_set.begin(), lo_set.end());
      }
    }
    ++i_;  // ']'
    CodeSet s = make_code_set(std::move(ranges));
    Re r;
    r.kind = Re::Kind::kSet;
    r.set = negate ? complement(s) : s;
    return r;
  }

  CodeSet class_atom() {
    if (peek('\\')) {
      ++i_;
      return parse_escape(true);
    }
    std::uint32_t cp = next_code_point();
    return make_code_set({{cp, cp}});
  }

  std::string_view p_;
  std::string path_;
  std::size_t i_ = 0;
};

class Emitter {
 public:
  Emitter(GraphBuilder& b, const RegexOptions& o, std::string_view pattern, std::string path)
      : b_(b), pattern_(pattern), path_(std::move(path)) {
    allowed_ = o.json_string ? complement(make_code_set({{0, 0x1F}, {'"', '"'}, {'\\', '\\'}}))
                             : complement(CodeSet{});
  }

  Frag any_star() { return b_.star(code_set_frag(b_, allowed_)); }

  Frag emit(const Re& r) {
    switch (r.kind) {
      case Re::Kind::kSet:
        return code_set_frag(b_, intersect(r.set, allowed_));
      case Re::Kind::kSeq: {
        std::vector<Frag> parts;
        for (const Re& k : r.kids) parts.push_back(emit(k));
        return b_.seq(parts);
      }
      case Re::Kind::kAlt: {
        std::vector<Frag> options;
        for (const Re& k : r.kids) options.push_back(emit(k));
        return b_.alt(options);
      }
      case Re::Kind::kRepeat: {
        Frag f = b_.repeat([&] { return emit(r.kids[0]); }, r.min, r.max);
        if (b_.size() > kMaxNodes) {
          throw GrammarError("regular expression /" + std::string(pattern_) + "/ is too large",
                             path_);
        }
        return f;
      }
    }
    return b_.dead();
  }

 private:
  GraphBuilder& b_;
  std::string_view pattern_;
  std::string path_;
  CodeSet allowed_;
};

}  // namespace

Frag compile_regex(GraphBuilder& b, std::string_view pattern, const RegexOptions& options,
                   const std::string& path) {
  std::vector<Parser::Alternative> alts = Parser(pattern, path).parse_top();
  Emitter e(b, options, pattern, path);
  std::vector<Frag> options_out;
  for (const Parser::Alternative& a : alts) {
    std::vector<Frag> parts;
    if (options.unanchored && !a.start_anchor) parts.push_back(e.any_star());
    parts.push_back(e.emit(a.body));
    if (options.unanchored && !a.end_anchor) parts.push_back(e.any_star());
    options_out.push_back(b.seq(parts));
  }
  return options_out.size() == 1 ? options_out[0] : b.alt(options_out);
}

}  // namespace odma::grammar
