// JSON Schema (draft 2020-12 subset) to a grammar of JSON text. docs/grammar.md lists the
// keywords and the choices made where the schema leaves freedom (whitespace, key order, extras).
#pragma once

#include <nlohmann/json.hpp>

#include "grammar/grammar.h"

namespace odma::grammar {

// Properties are generated in the order of the schema's object keys.
GrammarPtr compile_json_schema(const nlohmann::ordered_json& schema);

}  // namespace odma::grammar
