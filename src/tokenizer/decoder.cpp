#include "tokenizer/decoder.h"

#include <algorithm>

#include "base/error.h"
#include "tokenizer/byte_level.h"

namespace odma::tokenizer {
namespace {

std::string replace_all(const std::string& text, const std::string& pattern,
                        const std::string& with) {
  if (pattern.empty()) return text;
  std::string out;
  std::size_t pos = 0;
  for (;;) {
    std::size_t hit = text.find(pattern, pos);
    if (hit == std::string::npos) break;
    out.append(text, pos, hit - pos);
    out.append(with);
    pos = hit + pattern.size();
  }
  out.append(text, pos);
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// "<0xNN>" -> the byte NN; other tokens unchanged (Hugging Face ByteFallback).
void byte_fallback(std::string& token) {
  if (token.size() != 6 || token.compare(0, 3, "<0x") != 0 || token[5] != '>') return;
  int hi = hex_digit(token[3]), lo = hex_digit(token[4]);
  if (hi < 0 || lo < 0) return;
  token.assign(1, static_cast<char>(hi * 16 + lo));
}

void strip_chars(std::string& token, const std::string& ch, int start, int stop) {
  if (ch.empty()) return;
  for (int i = 0; i < start && token.compare(0, ch.size(), ch) == 0; ++i) token.erase(0, ch.size());
  for (int i = 0; i < stop && token.size() >= ch.size() &&
                  token.compare(token.size() - ch.size(), ch.size(), ch) == 0;
       ++i) {
    token.erase(token.size() - ch.size());
  }
}

}  // namespace

DecodePlan build_decode_plan(const Vocab& vocab, const std::vector<AddedToken>& added,
                             const std::vector<DecoderStep>& steps, const std::string& source) {
  DecodePlan plan;
  std::int32_t limit = vocab.id_limit();
  for (const AddedToken& t : added) limit = std::max(limit, t.id + 1);
  const auto n = static_cast<std::size_t>(limit);
  plan.bytes.resize(n);
  plan.known.assign(n, false);
  plan.special.assign(n, false);

  // The fused-text steps, found once.
  bool fused = false;
  for (const DecoderStep& step : steps) {
    if (step.kind == DecoderStep::Kind::kFuse) fused = true;
    if (step.kind == DecoderStep::Kind::kStrip && fused) {
      if (step.stop > 0) {
        throw Error(source + ": decoder Strip with stop > 0 after Fuse is not supported");
      }
      plan.strip_char = step.content;
      plan.strip_leading = step.start;
    }
    if (step.kind == DecoderStep::Kind::kMetaspace && step.prepend) {
      plan.strip_char = " ";
      plan.strip_leading = 1;
    }
  }

  for (std::int32_t id = 0; id < vocab.id_limit(); ++id) {
    if (!vocab.contains(id)) continue;
    std::string token(vocab.token(id));
    bool after_fuse = false;
    for (const DecoderStep& step : steps) {
      switch (step.kind) {
        case DecoderStep::Kind::kByteLevel:
          if (auto bytes = byte_level_decode(token)) token = std::move(*bytes);
          break;
        case DecoderStep::Kind::kReplace:
          token = replace_all(token, step.pattern, step.content);
          break;
        case DecoderStep::Kind::kByteFallback:
          byte_fallback(token);
          break;
        case DecoderStep::Kind::kFuse:
          after_fuse = true;
          break;
        case DecoderStep::Kind::kStrip:
          if (!after_fuse) strip_chars(token, step.content, step.start, step.stop);
          break;
        case DecoderStep::Kind::kMetaspace:
          token = replace_all(token, step.pattern, " ");
          break;
      }
    }
    plan.bytes[static_cast<std::size_t>(id)] = std::move(token);
    plan.known[static_cast<std::size_t>(id)] = true;
  }
  for (const AddedToken& t : added) {
    const auto i = static_cast<std::size_t>(t.id);
    plan.bytes[i] = t.content;
    plan.known[i] = true;
    plan.special[i] = t.special;
  }
  return plan;
}

}  // namespace odma::tokenizer
