// Shared helpers for the grammar tests.
#pragma once

#include <bit>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "grammar/grammar.h"
#include "grammar/matcher.h"

namespace odma::testing {

// A tiny vocabulary for readable tests; `words` become ids 0.., EOS is the last id.
inline grammar::VocabularyPtr tiny_vocabulary(std::vector<std::string> words) {
  words.push_back("");  // EOS: no bytes
  auto eos = static_cast<std::int32_t>(words.size() - 1);
  return std::make_shared<const grammar::Vocabulary>(std::move(words),
                                                     std::vector<std::int32_t>{eos});
}

// The one-byte vocabulary: token b is byte b; EOS is 256.
inline grammar::VocabularyPtr byte_vocabulary() {
  static const grammar::VocabularyPtr v = [] {
    std::vector<std::string> words;
    for (int b = 0; b < 256; ++b) words.emplace_back(1, static_cast<char>(b));
    return tiny_vocabulary(std::move(words));
  }();
  return v;
}

// A uniformly random allowed token (the mask must not be empty).
template <class Rng>
std::int32_t random_allowed(const grammar::TokenMask& mask, Rng& rng) {
  std::int32_t k = std::uniform_int_distribution<std::int32_t>(0, mask.count() - 1)(rng);
  const std::vector<std::uint64_t>& words = mask.words();
  for (std::size_t i = 0;; ++i) {
    auto n = static_cast<std::int32_t>(std::popcount(words[i]));
    if (k < n) {
      std::uint64_t w = words[i];
      for (; k > 0; --k) w &= w - 1;  // drop the lowest set bits
      return static_cast<std::int32_t>(i * 64) + std::countr_zero(w);
    }
    k -= n;
  }
}

// Is `text` a whole string of the grammar's language?
inline bool matches(const grammar::GrammarPtr& g, std::string_view text) {
  grammar::Matcher m(g, byte_vocabulary());
  return m.accept_bytes(text) && m.can_end();
}

// Is `text` a prefix of some string of the language?
inline bool prefix_ok(const grammar::GrammarPtr& g, std::string_view text) {
  grammar::Matcher m(g, byte_vocabulary());
  return m.accept_bytes(text);
}

}  // namespace odma::testing
