// Added tokens ("<|im_start|>", "<think>", "<s>") are found in the raw text before normalization
// and pre-tokenization, as Hugging Face does: scanning left to right, at each position the longest
// added token that matches wins (leftmost-longest). The text between matches is encoded normally.
//
// Flags: lstrip/rstrip make a match swallow the whitespace on its left/right; single_word only
// matches when the neighbouring characters are not word characters (ASCII alphanumerics, '_', or
// any non-ASCII byte). normalized=true tokens are matched in the raw text too (a simplification:
// Hugging Face matches those after normalization; none of the shipped files has one).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace odma::tokenizer {

struct AddedToken {
  std::int32_t id = 0;
  std::string content;
  bool special = false;  // skipped by decode(skip_special = true)
  bool lstrip = false;
  bool rstrip = false;
  bool single_word = false;
  bool normalized = false;
};

// One stretch of the input: either plain text or an added token.
struct Segment {
  std::string_view text;   // the plain text, or the matched span (with stripped whitespace)
  std::int32_t id = -1;    // the added token's id; -1 for plain text
  std::size_t offset = 0;  // byte offset of `text` in the input
};

class AddedTokenMatcher {
 public:
  AddedTokenMatcher() = default;
  explicit AddedTokenMatcher(std::vector<AddedToken> tokens);

  // Appends the segments of `text` to `out`, in order; empty plain segments are left out.
  void split(std::string_view text, std::vector<Segment>& out) const;

  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  std::vector<AddedToken> tokens_;
  // candidates_[b]: indices into tokens_ of tokens whose content starts with byte b, longest first.
  std::array<std::vector<std::uint32_t>, 256> candidates_;
};

}  // namespace odma::tokenizer
