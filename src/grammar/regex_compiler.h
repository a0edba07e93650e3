// Regular expressions (an ECMA-262 subset) to graph fragments.
//
// Supported: literals (UTF-8), ., [classes] with ranges and negation, \d \D \w \W \s \S, escapes
// (\n \r \t \f \v \0 \xHH \uHHHH, identity escapes), groups ( ) and (?: ), |, quantifiers * + ?
// {m} {m,} {m,n} (lazy forms match the same strings), and ^ $ at the ends of top-level
// alternatives. Anything else (lookaround, backreferences, \b, anchors inside groups) is a
// GrammarError naming `path`.
#pragma once

#include <string>
#include <string_view>

#include "grammar/grammar_graph.h"

namespace odma::grammar {

struct RegexOptions {
  // Match inside a JSON string: only characters that need no escaping (no '"', '\', or control
  // characters) are produced, each verbatim.
  bool json_string = false;
  // JSON Schema semantics: the pattern may match anywhere unless anchored with ^ / $. Otherwise
  // the pattern must match the whole text (^ and $ at the ends are allowed and change nothing).
  bool unanchored = false;
};

Frag compile_regex(GraphBuilder& b, std::string_view pattern, const RegexOptions& options,
                   const std::string& path);

}  // namespace odma::grammar
