// One request's position in a grammar, and the token mask that keeps its output inside it.
//
//   Matcher m(grammar, vocabulary);
//   loop: m.fill_mask(mask)  → logits of tokens not in `mask` become −∞ → sample t → m.accept(t)
//         stop when t is EOS (m.finished()) or the engine's own limits hit first.
//
// Not thread-safe: one matcher is used by one thread at a time. Grammar and Vocabulary are
// immutable and may be shared by any number of matchers on any threads.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "grammar/grammar.h"

namespace odma::grammar {

// A set of token ids, one bit each.
class TokenMask {
 public:
  explicit TokenMask(std::int32_t vocab_size = 0) { resize(vocab_size); }
  void resize(std::int32_t vocab_size) {
    size_ = vocab_size;
    words_.assign((static_cast<std::size_t>(vocab_size) + 63) / 64, 0);
  }
  std::int32_t size() const { return size_; }
  bool allowed(std::int32_t id) const {
    return (words_[static_cast<std::size_t>(id) >> 6] >> (id & 63)) & 1U;
  }
  void allow(std::int32_t id) { words_[static_cast<std::size_t>(id) >> 6] |= 1ULL << (id & 63); }
  void clear() { std::fill(words_.begin(), words_.end(), 0); }
  std::int32_t count() const;
  const std::vector<std::uint64_t>& words() const { return words_; }
  std::vector<std::uint64_t>& words() { return words_; }

 private:
  std::int32_t size_ = 0;
  std::vector<std::uint64_t> words_;
};

class Matcher {
 public:
  Matcher(GrammarPtr grammar, VocabularyPtr vocabulary);
  ~Matcher();
  Matcher(Matcher&&) noexcept;
  Matcher& operator=(Matcher&&) noexcept;

  // The tokens that may come next (resized to the vocabulary): every token whose bytes keep the
  // output a prefix of the language, plus the EOS ids when can_end(). Never empty before finished()
  // for a grammar the builders accepted.
  void fill_mask(TokenMask& mask);
  // Advances over `token`. False (and nothing changes) if the token is not allowed. An EOS id is
  // allowed only when can_end(), and finishes the matcher.
  [[nodiscard]] bool accept(std::int32_t token);
  // Advances over raw bytes (tests, prompts that pre-fill part of the output). False (and nothing
  // changes) if they leave the language.
  [[nodiscard]] bool accept_bytes(std::string_view bytes);

  bool can_end() const;   // the output so far is a whole string of the language
  bool must_end() const;  // ... and no byte may follow it: only EOS is allowed
  bool finished() const;  // an EOS was accepted

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace odma::grammar
