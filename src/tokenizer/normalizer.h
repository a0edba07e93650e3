// Text normalization applied to each stretch of text between added tokens, before pre-tokenizing
// (Hugging Face "normalizer"). Steps run in order; the Qwen2 file uses NFC, the Llama/sentencepiece
// style files use Prepend("▁") + Replace(" " -> "▁").
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace odma::tokenizer {

struct NormalizerStep {
  enum class Kind { kNfc, kNfd, kNfkc, kNfkd, kLowercase, kPrepend, kReplace };
  Kind kind;
  std::string text;     // kPrepend: the prefix; kReplace: the literal pattern
  std::string content;  // kReplace: the replacement
};

class Normalizer {
 public:
  Normalizer() = default;
  explicit Normalizer(std::vector<NormalizerStep> steps) : steps_(std::move(steps)) {}

  // Normalized `text`; returns a view of `text` itself when nothing changes (the common case for
  // ASCII under NFC), else of `scratch`. Invalid UTF-8 under a Unicode form -> odma::Error.
  std::string_view apply(std::string_view text, std::string& scratch) const;

  bool empty() const { return steps_.empty(); }

 private:
  std::vector<NormalizerStep> steps_;
};

// Unicode normalization via utf8proc; `form` is kNfc/kNfd/kNfkc/kNfkd. Exposed for tests.
std::string unicode_normalize(std::string_view text, NormalizerStep::Kind form);

}  // namespace odma::tokenizer
