// Tokens -> syntax tree, following @huggingface/jinja's parser (src/parser.ts, 0.5.11): its
// precedence (lowest first: `a if b else c`, or, and, not, comparisons and `in`, + - ~,
// * / // %, **, `is` tests, `|` filters, unary +/-, calls/members/subscripts) and its quirks
// (filters bind tighter than unary minus: -x|abs is (-x)|abs).
//
// On top of the oracle, anything the renderer would reject while rendering is rejected here,
// so a template that loads only fails at render time for reasons that depend on its input:
// unknown filters, tests, global functions and methods; statements outside the subset
// (include, extends, block, raw, with, ...); break/continue outside a loop; bad assignment
// targets. Every error names the construct; its position becomes "line L:C".
#pragma once

#include <string_view>

#include "tokenizer/jinja_ast.h"

namespace odma::tokenizer::jinja {

// Throws TemplateError.
Program parse_template(std::string_view source);

}  // namespace odma::tokenizer::jinja
