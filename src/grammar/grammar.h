// Constrained decoding (structured outputs): which tokens may come next so that the output stays
// inside a grammar.
//
// Glossary
//   Grammar     an immutable compiled constraint over output *bytes*: a JSON Schema, "any JSON
//               object", a regular expression, a list of choices, literal text, and sequences,
//               alternatives and repetitions of those (tool calls wrap a JSON call in literal
//               markers). Shared by every request that uses it (GrammarPtr).
//   Vocabulary  each token id's output bytes (the tokenizer's decode plan) plus the EOS ids, built
//               once per tokenizer; tokens with no bytes (special tokens, holes) are never allowed.
//   Matcher     one request's position in a grammar (matcher.h): fill_mask() says which tokens may
//               come next, accept() advances over the sampled one.
//
// The language of a Grammar is a set of byte strings; a token is allowed after output o when
// o + bytes(token) is a prefix of some string of the language; an EOS id is allowed exactly when o
// itself is in the language.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/error.h"

namespace odma::grammar {

// A schema the compiler refuses: an unsupported keyword (or value of one), a malformed schema, or
// one that no JSON value satisfies. `path` is the JSON Pointer of the offending keyword inside the
// schema (e.g. "/properties/date/format"), so the server's 400 can name it.
class GrammarError : public odma::Error {
 public:
  GrammarError(const std::string& message, std::string path)
      : odma::Error(message), path_(std::move(path)) {}
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class Grammar;  // opaque; defined in grammar_graph.h
using GrammarPtr = std::shared_ptr<const Grammar>;

// --- Builders (each throws GrammarError on bad input) -------------------------------------------

// Values valid under a JSON Schema (draft 2020-12 subset; docs/grammar.md lists the keywords).
// nlohmann::json keeps object keys sorted, so properties are generated in alphabetical order;
// the two overloads below keep the schema's own key order (docs/grammar.md).
GrammarPtr json_schema(const nlohmann::json& schema);
GrammarPtr json_schema_ordered(const nlohmann::ordered_json& schema);
// Parses `schema_json` (keys in document order); malformed JSON is a GrammarError.
GrammarPtr json_schema_text(std::string_view schema_json);
// Any JSON object (response_format {"type": "json_object"}).
GrammarPtr any_json_object();
// Any JSON value.
GrammarPtr any_json_value();
// Strings matching a regular expression as a whole (vLLM's guided_regex; a subset of ECMA-262:
// literals, ., classes, \d\w\s, groups, |, * + ? {m,n}).
GrammarPtr regex(std::string_view pattern);
// Exactly one of `options`, verbatim (vLLM's guided_choice).
GrammarPtr choice(const std::vector<std::string>& options);
// `text` verbatim.
GrammarPtr literal(std::string text);
// Each part in turn.
GrammarPtr sequence(const std::vector<GrammarPtr>& parts);
// Any one of `options`.
GrammarPtr alternatives(const std::vector<GrammarPtr>& options);
// `item` min..max times (max −1: unbounded), `separator` between consecutive items.
GrammarPtr repeat(GrammarPtr item, int min, int max, std::string separator = {});

// --- The tokens a grammar is checked against ----------------------------------------------------

class Vocabulary {
 public:
  // token_bytes[id]: what the token adds to the output (empty: never allowed); eos_ids: allowed
  // only where the output may end.
  Vocabulary(std::vector<std::string> token_bytes, std::vector<std::int32_t> eos_ids);
  ~Vocabulary();
  Vocabulary(const Vocabulary&) = delete;
  Vocabulary& operator=(const Vocabulary&) = delete;

  std::int32_t size() const { return static_cast<std::int32_t>(token_bytes_.size()); }
  std::string_view bytes(std::int32_t id) const {
    return token_bytes_[static_cast<std::size_t>(id)];
  }
  const std::vector<std::int32_t>& eos_ids() const { return eos_ids_; }
  bool is_eos(std::int32_t id) const;

  struct Trie;  // the byte trie over every token (implementation detail, grammar/token_trie.h)
  const Trie& trie() const { return *trie_; }

 private:
  std::vector<std::string> token_bytes_;
  std::vector<std::int32_t> eos_ids_;
  std::unique_ptr<Trie> trie_;
};
using VocabularyPtr = std::shared_ptr<const Vocabulary>;

}  // namespace odma::grammar
