#include "tokenizer/normalizer.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

#include "base/error.h"

namespace odma::tokenizer {
namespace {

// True when NFC certainly leaves `text` unchanged, so utf8proc can be skipped: every code point
// below U+0300 (no combining marks, nothing that composes as a second character) or, above that,
// with canonical combining class 0, no decomposition, no part in any composition pair and outside
// Hangul (which composes algorithmically). Conservative: "false" only costs a utf8proc call.
bool nfc_quick_stable(std::string_view text) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n;) {
    if (p[i] < 0xCC) {  // ASCII, continuation bytes, leads of U+0080..U+02FF
      ++i;
      continue;
    }
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t len = utf8proc_iterate(p + i, static_cast<utf8proc_ssize_t>(n - i), &cp);
    if (len <= 0) return false;  // let utf8proc report the invalid text
    const utf8proc_property_t* prop = utf8proc_get_property(cp);
    if (prop->combining_class != 0 || prop->decomp_seqindex != UINT16_MAX ||
        prop->comb_index != UINT16_MAX || (cp >= 0x1100 && cp <= 0x11FF) ||
        (cp >= 0xAC00 && cp <= 0xD7A3)) {
      return false;
    }
    i += static_cast<std::size_t>(len);
  }
  return true;
}

std::string replace_all(std::string_view text, std::string_view pattern, std::string_view with) {
  std::string out;
  if (pattern.empty()) return std::string(text);
  std::size_t pos = 0;
  for (;;) {
    std::size_t hit = text.find(pattern, pos);
    if (hit == std::string_view::npos) break;
    out.append(text.substr(pos, hit - pos));
    out.append(with);
    pos = hit + pattern.size();
  }
  out.append(text.substr(pos));
  return out;
}

std::string lowercase(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  auto left = static_cast<utf8proc_ssize_t>(text.size());
  while (left > 0) {
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) throw Error("tokenizer input is not valid UTF-8");
    utf8proc_uint8_t buf[4];
    utf8proc_ssize_t m = utf8proc_encode_char(utf8proc_tolower(cp), buf);
    out.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(m));
    p += n;
    left -= n;
  }
  return out;
}

}  // namespace

std::string unicode_normalize(std::string_view text, NormalizerStep::Kind form) {
  int options = UTF8PROC_STABLE;
  switch (form) {
    case NormalizerStep::Kind::kNfc:
      options |= UTF8PROC_COMPOSE;
      break;
    case NormalizerStep::Kind::kNfd:
      options |= UTF8PROC_DECOMPOSE;
      break;
    case NormalizerStep::Kind::kNfkc:
      options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
      break;
    case NormalizerStep::Kind::kNfkd:
      options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT;
      break;
    default:
      throw Error("unicode_normalize: not a Unicode normalization form");
  }
  utf8proc_uint8_t* out = nullptr;
  utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                                    static_cast<utf8proc_ssize_t>(text.size()), &out,
                                    static_cast<utf8proc_option_t>(options));
  if (n < 0) {
    throw Error(std::string("tokenizer input cannot be normalized: ") + utf8proc_errmsg(n));
  }
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(out, &std::free);
  return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
}

std::string_view Normalizer::apply(std::string_view text, std::string& scratch) const {
  std::string_view current = text;
  auto store = [&](std::string value) {
    scratch = std::move(value);
    current = scratch;
  };
  for (const NormalizerStep& step : steps_) {
    switch (step.kind) {
      case NormalizerStep::Kind::kNfc:
        if (nfc_quick_stable(current)) break;
        store(unicode_normalize(current, step.kind));
        break;
      case NormalizerStep::Kind::kNfd:
      case NormalizerStep::Kind::kNfkc:
      case NormalizerStep::Kind::kNfkd:
        store(unicode_normalize(current, step.kind));
        break;
      case NormalizerStep::Kind::kLowercase:
        store(lowercase(current));
        break;
      case NormalizerStep::Kind::kPrepend:
        if (current.empty()) break;  // Hugging Face prepends only to non-empty text
        store(step.text + std::string(current));
        break;
      case NormalizerStep::Kind::kReplace:
        if (current.find(step.text) == std::string_view::npos) break;
        store(replace_all(current, step.text, step.content));
        break;
    }
  }
  return current;
}

}  // namespace odma::tokenizer
