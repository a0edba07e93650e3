// Filters, tests, string/dict methods and global functions, ported from @huggingface/jinja's
// runtime.ts (0.5.11) with its argument rules and error messages. Names are resolved at parse
// time (find_*), so a template using anything else fails to load.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "tokenizer/jinja_value.h"

namespace odma::tokenizer::jinja {

enum class Filter : std::uint8_t {
  kSafe,
  kTojson,
  kList,
  kFirst,
  kLast,
  kLength,
  kReverse,
  kSort,
  kJoin,
  kString,
  kUnique,
  kUpper,
  kLower,
  kTitle,
  kCapitalize,
  kTrim,
  kIndent,
  kInt,
  kFloat,
  kAbs,
  kItems,
  kBool,
  kKeys,
  kValues,
  kDictsort,
  kGet,
  kDefault,
  kSelectattr,
  kRejectattr,
  kMap,
  kReplace,
  kSelect,
  kReject
};

enum class Test : std::uint8_t {
  kBoolean,
  kCallable,
  kOdd,
  kEven,
  kFalse,
  kTrue,
  kNone,
  kString,
  kNumber,
  kInteger,
  kIterable,
  kMapping,
  kSequence,
  kLower,
  kUpper,
  kDefined,
  kUndefined,
  kEqualto
};

enum class Method : std::uint8_t {
  // string
  kUpper,
  kLower,
  kStrip,
  kTitle,
  kCapitalize,
  kRstrip,
  kLstrip,
  kStartswith,
  kEndswith,
  kSplit,
  kReplace,
  // dict
  kGet,
  kItems,
  kKeys,
  kValues,
  kDictsort,
};

// Whether a filter exists in the form written: `x | f` (called = false) or `x | f(...)`.
std::optional<Filter> find_filter(std::string_view name, bool called);
std::optional<Test> find_test(std::string_view name);
std::optional<Method> find_method(std::string_view name);
bool test_needs_argument(Test t);  // equalto / eq: only usable from selectattr & co.

// Budgets and services of one render. Steps bound the work: one per node evaluated, loop
// iteration or list item built, plus one per 16 bytes of string built.
struct RenderState {
  std::size_t max_steps = 0;
  std::size_t max_bytes = 0;      // output and any single string
  std::size_t max_calls = 0;      // nested macro calls
  std::uint32_t max_nesting = 0;  // lists/dicts inside each other
  std::function<std::tm()> now;   // strftime_now's clock

  std::size_t steps = 0;
  std::size_t calls = 0;
  std::vector<std::shared_ptr<Dict>> namespaces;  // emptied after the render: breaks cycles

  void charge(std::size_t n);
  void charge_string(std::size_t bytes);
  void check_nesting(std::uint32_t depth) const;
  Value make_string(std::string s);  // charge_string + wrap
  Value make_list(std::vector<Value> items, bool tuple = false);
};

// Looks up `.name` on a value the way the oracle's member access does: a dict's own key first,
// then its builtin methods; a string's methods and `length`; a list's `length`. Undefined if none.
Value get_attribute(const Value& object, std::string_view name);
// The oracle's getAttributeValue: "a.b.0" through dicts, namespaces and list indices.
Value get_attribute_path(const Value& item, std::string_view path);

// `positional` is consumed; `kwargs` is the keyword arguments (may be empty).
Value apply_filter(Filter f, bool called, const Value& operand, std::vector<Value>& positional,
                   const Dict& kwargs, RenderState& state);
bool apply_test(Test t, const Value& operand, const Value& argument);
// Methods get their arguments as the oracle passes them: keyword arguments, if any, as one
// trailing kwargs value.
Value call_method(Method m, const Value& self, const std::vector<Value>& args, RenderState& state);
// namespace, range, raise_exception, strftime_now.
Value call_global(FunctionKind kind, const std::vector<Value>& args, RenderState& state);

}  // namespace odma::tokenizer::jinja
