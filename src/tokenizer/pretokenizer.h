// Pre-tokenization: cuts normalized text into "words" that BPE encodes independently
// (Hugging Face "pre_tokenizer"). Supported steps, run in sequence, each on the pieces of the last:
//   Split      regex (PCRE2, UTF + UCP, JIT) or literal pattern; behaviours Isolated, Removed,
//              MergedWithPrevious, MergedWithNext, Contiguous
//   ByteLevel  optional prefix space and GPT-2 regex split; the byte -> character mapping itself is
//              done by the BPE model (BpeOptions::byte_level), which saves building the mapped text
//   Metaspace  " " -> "▁", optional leading "▁" (always / first section only), split before "▁"
// Pieces are views into the input (or into step-local storage while a callback runs): no copies on
// the Qwen2 path.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace odma::tokenizer {

// A compiled PCRE2 pattern. Matching is thread-safe (per-thread match data and JIT stack).
class Regex {
 public:
  // Throws odma::Error with PCRE2's message and the offset of the problem in `pattern`.
  Regex(std::string_view pattern, bool literal);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Calls on_match(begin, end) for each non-overlapping non-empty match, left to right.
  // Precondition: `text` is valid UTF-8 (the tokenizer validates input once, up front).
  void for_each_match(std::string_view text,
                      const std::function<void(std::size_t, std::size_t)>& on_match) const;

  bool jit() const { return jit_; }

 private:
  void* code_ = nullptr;  // pcre2_code_8*, kept opaque so pcre2.h stays out of this header
  bool jit_ = false;
};

enum class SplitBehavior { kIsolated, kRemoved, kMergedWithPrevious, kMergedWithNext, kContiguous };
enum class PrependScheme { kAlways, kFirst, kNever };

struct PreTokenizerStep {
  enum class Kind { kSplit, kByteLevel, kMetaspace };
  Kind kind = Kind::kSplit;
  std::string pattern;   // kSplit: the pattern text
  bool literal = false;  // kSplit: pattern is a plain string, not a regex
  SplitBehavior behavior = SplitBehavior::kIsolated;
  bool add_prefix_space = false;                   // kByteLevel
  bool use_regex = false;                          // kByteLevel: split with the GPT-2 regex
  std::string replacement = "\xE2\x96\x81";        // kMetaspace: "▁"
  PrependScheme prepend = PrependScheme::kAlways;  // kMetaspace
  bool split = true;                               // kMetaspace
};

// `pattern` with every \s / \S outside a character class and every \s inside one spelled out as
// ECMAScript's whitespace set (\t \n \v \f \r, space, U+00A0, U+1680, U+2000-U+200A, U+2028,
// U+2029, U+202F, U+205F, U+3000, U+FEFF). Why: the reference ids (golden.jsonl, lengths/*.tsv)
// come from transformers.js, whose JavaScript regexes treat U+FEFF as whitespace; PCRE2 (like
// Hugging Face's Oniguruma) does not, and instead counts U+0085 and U+180E. Texts with a U+FEFF
// (9 in the NQ long answers) tokenize differently otherwise.
std::string with_ecmascript_whitespace(std::string_view pattern);

// The GPT-2 pattern ByteLevel(use_regex=true) splits with.
inline constexpr std::string_view kGpt2SplitPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

class PreTokenizer {
 public:
  using Emit = std::function<void(std::string_view)>;

  PreTokenizer() = default;
  // Compiles the regexes; a bad pattern -> odma::Error.
  explicit PreTokenizer(std::vector<PreTokenizerStep> steps);

  // Calls emit(piece) for each non-empty piece of `text`. `first_section` says whether `text`
  // starts the input (Metaspace's "first" prepend scheme).
  void split(std::string_view text, bool first_section, const Emit& emit) const;

  bool byte_level() const;  // true when a ByteLevel step is present

 private:
  void run(std::size_t step, std::string_view text, bool first_section, const Emit& emit) const;

  std::vector<PreTokenizerStep> steps_;
  std::vector<std::shared_ptr<const Regex>> regexes_;  // per step; null where none is needed
};

}  // namespace odma::tokenizer
