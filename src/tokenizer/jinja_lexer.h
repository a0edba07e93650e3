// Template source -> tokens, reproducing @huggingface/jinja's lexer (src/lexer.ts, 0.5.11).
//
// Before tokenizing, the source is preprocessed as the oracle does with the options
// transformers.js passes (trim_blocks and lstrip_blocks on):
//   1. one trailing "\n" of the template is dropped;
//   2. lstrip_blocks: spaces/tabs from a line start up to "{%", "{#" or "{-" are removed;
//   3. trim_blocks: the "\n" right after "%}", "#}" or "-}" is removed;
//   4. transformers' {% generation %} / {% endgeneration %} tags are cut out, their
//      surrounding whitespace kept unless the tag has "-" on that side.
// These are textual rewrites (they also apply inside string literals, as in the oracle).
// Whitespace control "{%-", "-%}", "{{-", "-}}", "{#-", "-#}" trims the neighbouring text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace odma::tokenizer::jinja {

enum class Tok : std::uint8_t {
  kText,            // template text outside tags
  kNumber,          // 12, 1.5, and -1 / -1.5 where "-" cannot be binary
  kString,          // 'x' or "x", escapes decoded
  kName,            // identifiers and keywords alike
  kEquals,          // =
  kLParen,          // (
  kRParen,          // )
  kOpenStmt,        // {%
  kCloseStmt,       // %}
  kOpenExpr,        // {{
  kCloseExpr,       // }}
  kLBracket,        // [
  kRBracket,        // ]
  kLBrace,          // {
  kRBrace,          // }
  kComma,           // ,
  kDot,             // .
  kColon,           // :
  kPipe,            // |
  kAdditive,        // + - ~
  kMultiplicative,  // * / // %
  kPower,           // **
  kComparison,      // < > <= >= == !=
  kUnary,           // a lone + or - in unary position
  kComment,         // {# ... #}
};

struct Token {
  Tok type;
  std::string value;
  std::uint32_t pos;  // byte offset of the token in the original source
};

// Preprocessed text with, for each of its bytes, the offset it came from in the source
// (origin has one extra entry for the end).
struct Preprocessed {
  std::string text;
  std::vector<std::uint32_t> origin;
};

Preprocessed preprocess(std::string_view source);

// Throws TemplateError (unterminated tags, strings or comments; bad characters or escapes).
std::vector<Token> tokenize(std::string_view source);

}  // namespace odma::tokenizer::jinja
