// Fragments of JSON text used by the schema compiler: whitespace, string content, numbers, and the
// rules for any string and any value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "grammar/grammar_graph.h"

namespace odma::grammar {

class JsonText {
 public:
  explicit JsonText(GraphBuilder& b) : b_(b) {}

  // Whitespace between tokens, as llama.cpp's json-schema-to-grammar: nothing, one space, or a
  // newline and up to 20 spaces or tabs (bounded, so that a weak model cannot spin in it).
  Frag ws();
  // One code point of string content: verbatim (valid UTF-8, no control characters) or an escape;
  // \u escapes are non-surrogates or a surrogate pair, so the text always decodes.
  Frag json_char();
  // A JSON number; at most two exponent digits, since parsers reject or overflow on exponents like
  // 1e590 that the JSON grammar itself allows.
  Frag number(const std::string& path);
  // "{" (key ":" value ("," key ":" value)*)? "}" with any string keys and `value_rule` values.
  Frag free_object(std::int32_t value_rule);

  // A quoted object key unequal to every one of `names`. Such keys are written without escapes
  // (an escape could spell a declared name in another way).
  Frag key_except(const std::vector<std::string>& names);

  std::int32_t any_string();  // rule: a quoted string
  std::int32_t any_value();   // rule: any JSON value

 private:
  GraphBuilder& b_;
  std::int32_t any_string_ = -1;
  std::int32_t any_value_ = -1;
};

}  // namespace odma::grammar
