#include "predict/features.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <string>

namespace odma::predict {
namespace {

constexpr std::size_t kMaxInstructionWords = 96;  // bounds the cost of pathological prompts
constexpr std::size_t kMaxInputWords = 96;

bool is_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}
bool is_digits(std::string_view w) {
  return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Splits lower-cased text into words (ASCII letters/digits; non-ASCII bytes count as letters).
void split_words(std::string_view text, std::size_t cap, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t i = 0;
  while (i < text.size() && out.size() < cap) {
    while (i < text.size() && !is_word_byte(static_cast<unsigned char>(text[i]))) ++i;
    std::size_t start = i;
    while (i < text.size() && is_word_byte(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
}

// log2 bucket with half-octave resolution: 0, 1, 2, ... for 0, 1, 1.41, 2, 2.83, ...
int half_octave(double x) {
  return x <= 0 ? 0 : 1 + static_cast<int>(std::floor(2.0 * std::log2(x + 1.0)));
}

// Word → cue group (coarse intent), so that rare synonyms share strength with common ones.
std::string_view cue_group(std::string_view w) {
  struct Cue {
    std::string_view word, group;
  };
  static constexpr std::array<Cue, 46> kCues{{
      {"list", "list"},         {"enumerate", "list"},      {"examples", "list"},
      {"ideas", "list"},        {"tips", "list"},           {"ways", "list"},
      {"steps", "list"},        {"essay", "long"},          {"article", "long"},
      {"story", "long"},        {"poem", "long"},           {"letter", "long"},
      {"blog", "long"},         {"speech", "long"},         {"script", "long"},
      {"narrative", "long"},    {"report", "long"},         {"paragraph", "long"},
      {"summarize", "summary"}, {"summarise", "summary"},   {"summary", "summary"},
      {"explain", "explain"},   {"describe", "explain"},    {"discuss", "explain"},
      {"compare", "explain"},   {"analyze", "explain"},     {"translate", "translate"},
      {"rewrite", "rewrite"},   {"paraphrase", "rewrite"},  {"edit", "rewrite"},
      {"classify", "classify"}, {"categorize", "classify"}, {"identify", "classify"},
      {"detect", "classify"},   {"true", "yesno"},          {"false", "yesno"},
      {"yes", "yesno"},         {"calculate", "math"},      {"compute", "math"},
      {"solve", "math"},        {"code", "code"},           {"function", "code"},
      {"program", "code"},      {"generate", "generate"},   {"create", "generate"},
      {"write", "generate"},
  }};
  for (const Cue& c : kCues)
    if (c.word == w) return c.group;
  return {};
}

class Emitter {
 public:
  Emitter(std::uint64_t mask, SparseFeatures& out) : mask_(mask), out_(out) {}

  void add(std::uint64_t hash, float value = 1.0f) {
    auto row = static_cast<std::uint32_t>(hash & mask_);
    out_.rows.push_back(row == 0 ? 1u : row);  // row 0 is the bias
    out_.values.push_back(value);
  }
  static std::uint64_t h(std::string_view tag) { return fnv1a64(tag); }
  static std::uint64_t h(std::string_view tag, std::string_view a) { return fnv1a64(a, h(tag)); }
  static std::uint64_t h(std::string_view tag, std::string_view a, std::string_view b) {
    return fnv1a64(b, fnv1a64(" ", h(tag, a)));
  }
  static std::uint64_t h(std::string_view tag, int n) { return h(tag, std::to_string(n)); }

 private:
  std::uint64_t mask_;
  SparseFeatures& out_;
};

}  // namespace

std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t seed) {
  std::uint64_t h = seed;
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

FeatureExtractor::FeatureExtractor(FeatureConfig config)
    : config_(config), mask_((std::uint64_t{1} << config.hash_bits) - 1) {}

void FeatureExtractor::extract(const PromptInfo& prompt, SparseFeatures& out) const {
  out.clear();
  // Reused per thread so that steady-state extraction does not allocate.
  thread_local std::string lower;
  thread_local std::vector<std::string_view> instr;
  thread_local std::vector<std::string_view> input;

  lower.assign(prompt.text);
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  std::string_view text = lower;
  // Trim leading/trailing whitespace so "has input" means a non-empty second part.
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  std::size_t nl = text.find('\n');
  std::string_view instruction = text.substr(0, nl);
  std::string_view rest = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  split_words(instruction, kMaxInstructionWords, instr);
  split_words(rest, kMaxInputWords, input);

  Emitter e(mask_, out);
  out.rows.push_back(0);  // bias
  out.values.push_back(1.0f);

  // Sizes: one-hot half-octave buckets (the model learns any shape) plus a log-linear term.
  const bool has_input = !input.empty();
  e.add(Emitter::h(has_input ? "has_input" : "no_input"));
  e.add(Emitter::h("pt:", half_octave(prompt.prompt_tokens)));
  e.add(Emitter::h("iw:", half_octave(static_cast<double>(instr.size()))));
  e.add(Emitter::h("nw:", half_octave(static_cast<double>(input.size()))));
  e.add(Emitter::h("ch:", half_octave(static_cast<double>(text.size()) / 8.0)));
  e.add(Emitter::h("mt:", half_octave(prompt.max_tokens)));
  e.add(Emitter::h("log_pt"),
        static_cast<float>(std::log1p(std::max(0, prompt.prompt_tokens)) / 8.0));
  if (!instruction.empty()) {
    char last = instruction.back();
    if (last == '?' || last == ':' || last == '.')
      e.add(Emitter::h("end:", std::string_view(&last, 1)));
  }

  // Instruction words: unigrams, bigrams, the opening words (intent) and cue groups.
  for (std::size_t i = 0; i < instr.size(); ++i) {
    std::string_view w = instr[i];
    e.add(Emitter::h("u:", w));
    if (i + 1 < instr.size()) e.add(Emitter::h("b:", w, instr[i + 1]));
    if (std::string_view g = cue_group(w); !g.empty()) e.add(Emitter::h("cue:", g));
    // "5 examples", "100 words": the count crossed with the unit it counts.
    if (is_digits(w) && i + 1 < instr.size()) {
      int n = w.size() > 6 ? 1000000 : std::stoi(std::string(w));
      std::string_view unit = instr[i + 1];
      e.add(Emitter::h("num:", n <= 10 ? n : 10 + half_octave(n)));
      e.add(Emitter::h("nu:" + std::to_string(n <= 10 ? n : 10 + half_octave(n)), unit));
    }
  }
  if (!instr.empty()) e.add(Emitter::h("f1:", instr[0]));
  if (instr.size() >= 2) e.add(Emitter::h("f2:", instr[0], instr[1]));
  if (instr.size() >= 3) e.add(Emitter::h("f3:", instr[1], instr[2]));
  if (instr.size() >= 2 && instr[0] == "write")
    e.add(Emitter::h("write:", instr.size() >= 3 ? instr[2] : instr[1]));

  // Input words: unigrams only (their content matters less than the instruction's).
  for (std::string_view w : input) e.add(Emitter::h("i:", w));
}

}  // namespace odma::predict
