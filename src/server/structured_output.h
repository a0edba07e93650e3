// What a generation request asks its output to follow, read from the body and compiled.
//
//   field                                   grammar
//   response_format {"type": "text"}        none (free text)
//                   {"type": "json_object"} any JSON object                        (OpenAI)
//                   {"type": "json_schema", "json_schema": {"name", "schema", "strict"}}
//                                           values valid under `schema`            (OpenAI)
//   structured_outputs {"json": S | "regex": R | "choice": [..] | "json_object": true}
//                                           the same, vLLM's current field
//   guided_json S, guided_regex R, guided_choice [..]
//                                           vLLM's older fields, which clients still send
// At most one of these may ask for a grammar (two → 400, as vLLM refuses more than one kind).
// Refused with a 400 naming the field: EBNF grammars (`structured_outputs.grammar`,
// `guided_grammar`), structural tags, and every JSON Schema keyword grammar/json_schema.h does not
// compile (the message names its place in the schema, e.g. "/properties/tags/uniqueItems"), and a
// schema no value satisfies.
//
// Compiled grammars are cached by their text (a process-wide LRU of kGrammarCacheEntries), so
// requests with one schema share one Grammar and with it its token-mask cache. Each grammar's mask
// cache may grow to ~10 MB on a 152K vocabulary (grammar/mask_cache.h), so the bound is also the
// server's memory bound for them: 16 × 10 MB.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "grammar/grammar.h"
#include "server/json_fields.h"

namespace odma::server {

inline constexpr std::size_t kGrammarCacheEntries = 16;

// Reads the fields above from `f` (the request body); records a 400 in `f` for a bad one. Null
// when the output is free text. `ordered_body` (the same body, key order kept; may be null) gives a
// schema's properties their written order, which the output follows.
[[nodiscard]] grammar::GrammarPtr read_structured_output(
    JsonFields& f, const nlohmann::ordered_json* ordered_body = nullptr);

// A compiled grammar, from the process-wide cache when `key` was compiled before (`build` runs
// otherwise; its GrammarError propagates).
[[nodiscard]] grammar::GrammarPtr cached_grammar(const std::string& key,
                                                 const std::function<grammar::GrammarPtr()>& build);

}  // namespace odma::server
