#include "tokenizer/utf8.h"

namespace odma::tokenizer {
namespace {

// For a lead byte: how many continuation bytes follow and the range of the first one
// (the narrowed ranges exclude overlong forms, surrogates and code points above U+10FFFF).
struct Lead {
  std::size_t need;  // 0 for ASCII; SIZE_MAX for bytes that can never start a character
  unsigned char lo, hi;
};

constexpr std::size_t kInvalid = static_cast<std::size_t>(-1);

Lead classify(unsigned char b) {
  if (b < 0x80) return {0, 0x80, 0xBF};
  if (b < 0xC2) return {kInvalid, 0, 0};  // stray continuation or overlong C0/C1
  if (b < 0xE0) return {1, 0x80, 0xBF};
  if (b == 0xE0) return {2, 0xA0, 0xBF};
  if (b == 0xED) return {2, 0x80, 0x9F};
  if (b < 0xF0) return {2, 0x80, 0xBF};
  if (b == 0xF0) return {3, 0x90, 0xBF};
  if (b < 0xF4) return {3, 0x80, 0xBF};
  if (b == 0xF4) return {3, 0x80, 0x8F};
  return {kInvalid, 0, 0};
}

}  // namespace

std::size_t utf8_invalid_offset(std::string_view text) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    Lead lead = classify(b);
    if (lead.need == kInvalid || lead.need > n - i - 1) return i;  // bad lead or cut short
    auto c1 = static_cast<unsigned char>(text[i + 1]);
    if (c1 < lead.lo || c1 > lead.hi) return i;
    for (std::size_t k = 2; k <= lead.need; ++k) {
      auto c = static_cast<unsigned char>(text[i + k]);
      if (c < 0x80 || c > 0xBF) return i;
    }
    i += lead.need + 1;
  }
  return n;
}

void Utf8Assembler::push(std::string_view bytes, std::string& out) {
  for (char c : bytes) push_byte(static_cast<unsigned char>(c), out);
}

void Utf8Assembler::push_byte(unsigned char b, std::string& out) {
  if (need_ > 0) {
    if (b >= lo_ && b <= hi_) {
      pending_[pending_len_++] = static_cast<char>(b);
      lo_ = 0x80;
      hi_ = 0xBF;
      if (--need_ == 0) {
        out.append(pending_, pending_len_);
        pending_len_ = 0;
      }
      return;
    }
    // The held bytes can no longer become a character: they are one maximal subpart.
    out.append(kReplacementChar);
    pending_len_ = 0;
    need_ = 0;
    // fall through: `b` starts afresh
  }
  Lead lead = classify(b);
  if (lead.need == 0) {
    out.push_back(static_cast<char>(b));
  } else if (lead.need == kInvalid) {
    out.append(kReplacementChar);
  } else {
    pending_[0] = static_cast<char>(b);
    pending_len_ = 1;
    need_ = lead.need;
    lo_ = lead.lo;
    hi_ = lead.hi;
  }
}

void Utf8Assembler::finish(std::string& out) {
  if (pending_len_ > 0) out.append(kReplacementChar);
  pending_len_ = 0;
  need_ = 0;
  lo_ = 0x80;
  hi_ = 0xBF;
}

}  // namespace odma::tokenizer
