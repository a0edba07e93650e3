// The interpreter: walks a Program with the oracle's semantics (runtime.ts, Interpreter).
//
// Scoping follows the oracle, which is not Python's: {% for %} gets one scope for the whole loop
// (a `set` inside is visible in later iterations, not after the loop); {% if %} has none;
// macros see the *caller's* variables (dynamic scope). `break`/`continue` drop the output the
// current iteration produced so far, as the oracle's exceptions do.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/jinja_ast.h"
#include "tokenizer/jinja_builtins.h"

namespace odma::tokenizer::jinja {

struct Scope {
  explicit Scope(std::shared_ptr<Scope> outer = nullptr) : parent(std::move(outer)) {}

  std::vector<std::pair<int, Value>> vars;  // symbol -> value, few per scope
  std::shared_ptr<Scope> parent;

  void set(int symbol, Value value);
  const Value* lookup(int symbol) const;  // this scope, then its parents
};

// The scope holding true/false/none (and their title-case forms), raise_exception, range,
// strftime_now and namespace.
std::shared_ptr<Scope> make_global_scope();
bool is_builtin_global(std::string_view name);
// Symbol id of a name the template mentions, or -1 (then it cannot be read: no need to set it).
int find_symbol(const Program& program, std::string_view name);

// Renders `program` with `globals` (from make_global_scope, plus the render variables).
// Throws TemplateError; `state` carries the budgets. `size_hint` (e.g. the bytes of the
// conversation) is reserved for the output up front.
std::string evaluate(const Program& program, const std::shared_ptr<Scope>& globals,
                     RenderState& state, std::size_t size_hint = 0);

}  // namespace odma::tokenizer::jinja
