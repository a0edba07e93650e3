#include "grammar/utf8_class.h"

#include <algorithm>

namespace odma::grammar {

namespace {

constexpr std::uint32_t kMaxCodePoint = 0x10FFFF;

int utf8_length(std::uint32_t cp) {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

// Byte-range sequences of [lo, hi] (same encoded length), split so that each sequence is a
// product of byte ranges (Russ Cox's UTF-8 range algorithm, as in RE2 and Rust's regex-syntax).
void split(std::uint32_t lo, std::uint32_t hi, std::vector<std::vector<ByteEdge>>& out) {
  int n = utf8_length(lo);
  if (n != utf8_length(hi)) {
    std::uint32_t boundary = n == 1 ? 0x7F : n == 2 ? 0x7FF : 0xFFFF;
    split(lo, boundary, out);
    split(boundary + 1, hi, out);
    return;
  }
  for (int i = 1; i < n; ++i) {
    std::uint32_t m = (1U << (6 * i)) - 1;
    if ((lo & ~m) != (hi & ~m)) {
      if ((lo & m) != 0) {
        split(lo, lo | m, out);
        split((lo | m) + 1, hi, out);
        return;
      }
      if ((hi & m) != m) {
        split(lo, (hi & ~m) - 1, out);
        split(hi & ~m, hi, out);
        return;
      }
    }
  }
  std::string a, b;
  append_utf8(a, lo);
  append_utf8(b, hi);
  std::vector<ByteEdge> seq;
  for (std::size_t k = 0; k < a.size(); ++k) {
    seq.push_back({static_cast<std::uint8_t>(a[k]), static_cast<std::uint8_t>(b[k]), 0});
  }
  out.push_back(std::move(seq));
}

}  // namespace

CodeSet make_code_set(std::vector<CodeRange> ranges) {
  // Remove surrogates by splitting around them.
  std::vector<CodeRange> clean;
  for (const CodeRange& r : ranges) {
    std::uint32_t hi = std::min(r.hi, kMaxCodePoint);
    if (r.lo > hi) continue;
    if (r.lo < 0xD800) clean.push_back({r.lo, std::min(hi, 0xD7FFU)});
    if (hi > 0xDFFF) clean.push_back({std::max(r.lo, 0xE000U), hi});
  }
  std::sort(clean.begin(), clean.end(),
            [](const CodeRange& a, const CodeRange& b) { return a.lo < b.lo; });
  CodeSet out;
  for (const CodeRange& r : clean) {
    if (!out.empty() && r.lo <= out.back().hi + 1) {
      out.back().hi = std::max(out.back().hi, r.hi);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

CodeSet complement(const CodeSet& s) {
  std::vector<CodeRange> out;
  std::uint32_t next = 0;
  for (const CodeRange& r : s) {
    if (r.lo > next) out.push_back({next, r.lo - 1});
    next = r.hi + 1;
  }
  if (next <= kMaxCodePoint) out.push_back({next, kMaxCodePoint});
  return make_code_set(std::move(out));
}

CodeSet intersect(const CodeSet& a, const CodeSet& b) {
  std::vector<CodeRange> out;
  for (const CodeRange& x : a) {
    for (const CodeRange& y : b) {
      std::uint32_t lo = std::max(x.lo, y.lo), hi = std::min(x.hi, y.hi);
      if (lo <= hi) out.push_back({lo, hi});
    }
  }
  return make_code_set(std::move(out));
}

Frag code_set_frag(GraphBuilder& b, const CodeSet& s) {
  std::vector<std::vector<ByteEdge>> seqs;
  for (const CodeRange& r : s) split(r.lo, r.hi, seqs);
  Frag f{b.add_node(), b.add_node()};
  for (const std::vector<ByteEdge>& seq : seqs) {
    std::int32_t at = f.start;
    for (std::size_t k = 0; k < seq.size(); ++k) {
      const ByteEdge& e = seq[k];
      if (k + 1 == seq.size()) {
        b.node(at).bytes.push_back({e.lo, e.hi, f.end});
        break;
      }
      // Share a prefix node when the same byte range leads to it (keeps classes deterministic).
      std::int32_t next = -1;
      for (const ByteEdge& have : b.node(at).bytes) {
        if (have.lo == e.lo && have.hi == e.hi && have.target != f.end) next = have.target;
      }
      if (next < 0) {
        next = b.add_node();
        b.node(at).bytes.push_back({e.lo, e.hi, next});
      }
      at = next;
    }
  }
  return f;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  auto put = [&](std::uint32_t v) { out.push_back(static_cast<char>(v)); };
  if (cp < 0x80) {
    put(cp);
  } else if (cp < 0x800) {
    put(0xC0 | (cp >> 6)), put(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    put(0xE0 | (cp >> 12)), put(0x80 | ((cp >> 6) & 0x3F)), put(0x80 | (cp & 0x3F));
  } else {
    put(0xF0 | (cp >> 18)), put(0x80 | ((cp >> 12) & 0x3F)), put(0x80 | ((cp >> 6) & 0x3F));
    put(0x80 | (cp & 0x3F));
  }
}

bool decode_utf8(std::string_view text, std::vector<std::uint32_t>& out) {
  for (std::size_t i = 0; i < text.size();) {
    auto b0 = static_cast<std::uint8_t>(text[i]);
    int extra = b0 < 0x80 ? 0 : b0 >= 0xF0 ? 3 : b0 >= 0xE0 ? 2 : b0 >= 0xC0 ? 1 : -1;
    if (extra < 0 || b0 > 0xF4 || i + static_cast<std::size_t>(extra) >= text.size()) return false;
    std::uint32_t cp = extra == 0 ? b0 : b0 & (0x3FU >> extra);
    for (int k = 1; k <= extra; ++k) {
      auto b = static_cast<std::uint8_t>(text[i + static_cast<std::size_t>(k)]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    constexpr std::uint32_t kMinForLength[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[extra] || cp > kMaxCodePoint || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    out.push_back(cp);
    i += static_cast<std::size_t>(extra) + 1;
  }
  return true;
}

}  // namespace odma::grammar
