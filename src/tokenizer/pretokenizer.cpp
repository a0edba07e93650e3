#include "tokenizer/pretokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "base/error.h"

namespace odma::tokenizer {
namespace {

pcre2_code* as_code(void* p) {
  return static_cast<pcre2_code*>(p);
}

std::string pcre2_message(int code) {
  PCRE2_UCHAR buf[256];
  if (pcre2_get_error_message(code, buf, sizeof(buf)) < 0)
    return "PCRE2 error " + std::to_string(code);
  return reinterpret_cast<const char*>(buf);
}

// Per-thread matching state shared by every Regex: match data, a JIT stack big enough for long
// whitespace runs (`\s+(?!\S)` backtracks one frame per character) and the context that binds it.
struct MatchScratch {
  pcre2_match_data* data = pcre2_match_data_create(16, nullptr);
  pcre2_jit_stack* stack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr);
  pcre2_match_context* context = pcre2_match_context_create(nullptr);
  MatchScratch() {
    if (data == nullptr || stack == nullptr || context == nullptr)
      throw Error("PCRE2: out of memory");
    pcre2_jit_stack_assign(context, nullptr, stack);
  }
  ~MatchScratch() {
    pcre2_match_context_free(context);
    pcre2_jit_stack_free(stack);
    pcre2_match_data_free(data);
  }
  MatchScratch(const MatchScratch&) = delete;
  MatchScratch& operator=(const MatchScratch&) = delete;
};

MatchScratch& scratch() {
  thread_local MatchScratch s;
  return s;
}

std::size_t utf8_char_length(std::string_view text, std::size_t at) {
  auto b = static_cast<unsigned char>(text[at]);
  std::size_t len = b < 0xC0 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
  return std::min(len, text.size() - at);
}

constexpr std::string_view kEcmaSpaceSet =
    "\\t\\n\\x{0B}\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}"
    "\\x{205F}\\x{3000}\\x{FEFF}";

}  // namespace

std::string with_ecmascript_whitespace(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size() + 64);
  bool in_class = false;
  std::size_t class_start = 0;  // index in `pattern` just after "[" or "[^"
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char e = pattern[i + 1];
      ++i;
      if (e == 's') {
        out += in_class ? std::string(kEcmaSpaceSet) : "[" + std::string(kEcmaSpaceSet) + "]";
      } else if (e == 'S' && !in_class) {
        out += "[^" + std::string(kEcmaSpaceSet) + "]";
      } else {  // any other escape (\p{L}, \x{..}, \S inside a class) is copied as written
        out += c;
        out += e;
      }
      continue;
    }
    out += c;
    if (!in_class && c == '[') {
      in_class = true;
      class_start = i + 1;
      if (class_start < pattern.size() && pattern[class_start] == '^') ++class_start;
    } else if (in_class && c == ']' && i != class_start) {  // a "]" first in a class is literal
      in_class = false;
    }
  }
  return out;
}

Regex::Regex(std::string_view pattern, bool literal) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  // PCRE2 rejects UCP together with LITERAL (it has no meaning for a literal).
  uint32_t options = PCRE2_UTF | (literal ? PCRE2_LITERAL : PCRE2_UCP);
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   options, &error, &offset, nullptr);
  if (code == nullptr) {
    throw Error("bad split pattern at offset " + std::to_string(offset) + ": " +
                pcre2_message(error));
  }
  code_ = code;
  jit_ = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;  // no JIT: the interpreter still works
}

Regex::~Regex() {
  pcre2_code_free(as_code(code_));
}

void Regex::for_each_match(std::string_view text,
                           const std::function<void(std::size_t, std::size_t)>& on_match) const {
  MatchScratch& s = scratch();
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  std::size_t at = 0;
  while (at < text.size()) {
    int rc = pcre2_match(as_code(code_), subject, text.size(), at, PCRE2_NO_UTF_CHECK, s.data,
                         s.context);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {  // pathological input: retry in the interpreter
      rc = pcre2_match(as_code(code_), subject, text.size(), at, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT,
                       s.data, s.context);
    }
    if (rc == PCRE2_ERROR_NOMATCH) return;
    if (rc < 0) throw Error("pre-tokenizer regex failed: " + pcre2_message(rc));
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(s.data);
    const std::size_t begin = ov[0], end = ov[1];  // copied: on_match may run other regexes
    if (end == begin) {  // empty match: step over one character, emit nothing
      at = begin + (begin < text.size() ? utf8_char_length(text, begin) : 1);
      continue;
    }
    on_match(begin, end);
    at = end;
  }
}

PreTokenizer::PreTokenizer(std::vector<PreTokenizerStep> steps) : steps_(std::move(steps)) {
  for (const PreTokenizerStep& step : steps_) {
    if (step.kind == PreTokenizerStep::Kind::kSplit) {
      regexes_.push_back(std::make_shared<const Regex>(
          step.literal ? step.pattern : with_ecmascript_whitespace(step.pattern), step.literal));
    } else if (step.kind == PreTokenizerStep::Kind::kByteLevel && step.use_regex) {
      regexes_.push_back(
          std::make_shared<const Regex>(with_ecmascript_whitespace(kGpt2SplitPattern), false));
    } else if (step.kind == PreTokenizerStep::Kind::kMetaspace && step.split) {
      regexes_.push_back(std::make_shared<const Regex>(step.replacement, true));
    } else {
      regexes_.push_back(nullptr);
    }
  }
}

bool PreTokenizer::byte_level() const {
  for (const auto& step : steps_) {
    if (step.kind == PreTokenizerStep::Kind::kByteLevel) return true;
  }
  return false;
}

void PreTokenizer::split(std::string_view text, bool first_section, const Emit& emit) const {
  if (!text.empty()) run(0, text, first_section, emit);
}

void PreTokenizer::run(std::size_t index, std::string_view text, bool first_section,
                       const Emit& emit) const {
  if (index == steps_.size()) {
    emit(text);
    return;
  }
  const PreTokenizerStep& step = steps_[index];
  auto next = [&](std::string_view piece) {
    if (!piece.empty()) run(index + 1, piece, first_section, emit);
  };
  // Splits `subject` by regexes_[index] with `behavior` (Hugging Face's SplitDelimiterBehavior).
  auto split_by = [&](std::string_view subject, SplitBehavior behavior) {
    std::size_t start = 0;    // where the next unemitted piece begins
    std::size_t run_end = 0;  // kContiguous: end of the current run of adjacent matches
    bool in_run = false;
    regexes_[index]->for_each_match(subject, [&](std::size_t b, std::size_t e) {
      switch (behavior) {
        case SplitBehavior::kIsolated:
          next(subject.substr(start, b - start));
          next(subject.substr(b, e - b));
          start = e;
          break;
        case SplitBehavior::kRemoved:
          next(subject.substr(start, b - start));
          start = e;
          break;
        case SplitBehavior::kMergedWithPrevious:
          next(subject.substr(start, e - start));
          start = e;
          break;
        case SplitBehavior::kMergedWithNext:
          next(subject.substr(start, b - start));
          start = b;
          break;
        case SplitBehavior::kContiguous:
          if (in_run && b == run_end) {
            run_end = e;
            break;
          }
          if (in_run) next(subject.substr(start, run_end - start));
          next(subject.substr(run_end, b - run_end));
          start = b;
          run_end = e;
          in_run = true;
          break;
      }
    });
    if (behavior == SplitBehavior::kContiguous && in_run) {
      next(subject.substr(start, run_end - start));
      start = run_end;
    }
    next(subject.substr(start));
  };

  switch (step.kind) {
    case PreTokenizerStep::Kind::kSplit:
      split_by(text, step.behavior);
      return;
    case PreTokenizerStep::Kind::kByteLevel: {
      std::string prefixed;
      std::string_view subject = text;
      if (step.add_prefix_space && text.front() != ' ') {
        prefixed = " " + std::string(text);
        subject = prefixed;
      }
      if (step.use_regex) {
        split_by(subject, SplitBehavior::kIsolated);
      } else {
        next(subject);
      }
      return;
    }
    case PreTokenizerStep::Kind::kMetaspace: {
      std::string replaced;
      replaced.reserve(text.size() + step.replacement.size());
      const bool prepend = step.prepend == PrependScheme::kAlways ||
                           (step.prepend == PrependScheme::kFirst && first_section);
      if (prepend && text.substr(0, step.replacement.size()) != step.replacement) {
        replaced += step.replacement;
      }
      for (char c : text) {
        if (c == ' ') {
          replaced += step.replacement;
        } else {
          replaced.push_back(c);
        }
      }
      if (step.split) {
        split_by(replaced, SplitBehavior::kMergedWithNext);
      } else {
        next(replaced);
      }
      return;
    }
  }
}

}  // namespace odma::tokenizer
