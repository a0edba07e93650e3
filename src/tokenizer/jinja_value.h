// Runtime values of the template engine, mirroring @huggingface/jinja's RuntimeValue classes.
//
// Glossary (oracle class in parentheses):
//   undefined (UndefinedValue)  what a missing variable, key or attribute evaluates to; falsy,
//                               prints as nothing, `is defined` is false
//   none (NullValue)            JSON null / none / None
//   int, float (Integer/FloatValue)  both hold a double, as JS numbers do; the kind only decides
//                               printing (1.0 prints "1.0") and the result kind of arithmetic
//   string (StringValue)        immutable UTF-8, shared between copies
//   list (ArrayValue/TupleValue) immutable once built; `tuple` marks ( , ) literals
//   dict (ObjectValue)          ordered string-keyed map; `kwargs` (KeywordArgumentsValue) is the
//                               same shape, made for keyword arguments
//   namespace (NamespaceValue)  the only mutable container (`set ns.x = ...`)
//   function (FunctionValue)    builtin, bound string/dict method, macro or `caller`
// Containers compare by identity (JS object semantics); strings and numbers by value.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace odma::tokenizer::jinja {

struct List;
struct Dict;
struct Function;
struct Node;
struct Scope;

enum class Kind : std::uint8_t {
  kUndefined,
  kNone,
  kBool,
  kInt,
  kFloat,
  kString,
  kList,
  kDict,
  kKwargs,
  kNamespace,
  kFunction,
};

class Value {
 public:
  Value() = default;  // undefined
  static Value none() { return Value(Kind::kNone, std::monostate{}); }
  static Value boolean(bool b) { return Value(Kind::kBool, b); }
  static Value integer(double v) { return Value(Kind::kInt, v); }
  static Value number(double v) { return Value(Kind::kFloat, v); }
  static Value string(std::string s);
  static Value list(std::shared_ptr<List> l) { return Value(Kind::kList, std::move(l)); }
  static Value list(std::vector<Value> items, bool tuple = false);
  static Value dict(std::shared_ptr<Dict> d, Kind kind = Kind::kDict) {
    return Value(kind, std::move(d));
  }
  static Value function(std::shared_ptr<const Function> f) {
    return Value(Kind::kFunction, std::move(f));
  }

  Kind kind() const { return kind_; }
  bool is(Kind k) const { return kind_ == k; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_number() const { return kind_ == Kind::kInt || kind_ == Kind::kFloat; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_list() const { return kind_ == Kind::kList; }
  // ObjectValue in the oracle: dict or kwargs (has .get/.items, `in` works, `is mapping`).
  bool is_object() const { return kind_ == Kind::kDict || kind_ == Kind::kKwargs; }
  // dict, kwargs or namespace: things with string-keyed attributes.
  bool is_mapping_like() const { return is_object() || kind_ == Kind::kNamespace; }

  bool as_bool() const { return std::get<bool>(data_); }
  double as_number() const { return std::get<double>(data_); }
  const std::string& as_string() const { return *std::get<StringPtr>(data_); }
  List& as_list() const { return *std::get<ListPtr>(data_); }
  Dict& as_dict() const { return *std::get<DictPtr>(data_); }
  const Function& as_function() const { return *std::get<FunctionPtr>(data_); }
  // Address of the container (list, dict, function) for identity comparison; nullptr otherwise.
  const void* identity() const;

 private:
  using StringPtr = std::shared_ptr<const std::string>;
  using ListPtr = std::shared_ptr<List>;
  using DictPtr = std::shared_ptr<Dict>;
  using FunctionPtr = std::shared_ptr<const Function>;
  using Data = std::variant<std::monostate, bool, double, StringPtr, ListPtr, DictPtr, FunctionPtr>;

  template <class T>
  Value(Kind kind, T&& data) : kind_(kind), data_(std::forward<T>(data)) {}

  Kind kind_ = Kind::kUndefined;
  Data data_;
};

struct List {
  std::vector<Value> items;
  bool tuple = false;       // built from a ( , ) literal: TupleValue in the oracle
  std::uint32_t depth = 1;  // nesting depth of lists/dicts inside (bounded, see Limits)
};

struct Dict {
  std::vector<std::pair<std::string, Value>> entries;  // insertion order
  std::uint32_t depth = 1;

  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  void set(std::string_view key, Value value);  // replaces in place or appends
};

enum class FunctionKind : std::uint8_t {
  kNamespace,       // namespace(...)
  kRange,           // range(...)
  kRaiseException,  // raise_exception(msg)
  kStrftimeNow,     // strftime_now(fmt)
  kMethod,          // a string/dict builtin bound to `self`
  kMacro,           // {% macro %}
  kCaller,          // the body of a {% call %} block
};

struct Function {
  FunctionKind kind;
  std::uint8_t method = 0;       // kMethod: which Method (jinja_builtins.h)
  Value self;                    // kMethod: the bound string or dict
  const Node* node = nullptr;    // kMacro / kCaller: the macro or call statement
  std::shared_ptr<Scope> scope;  // kCaller: where the call block runs
};

// The oracle's type names, used in error messages so they read like the oracle's.
const char* type_name(const Value& v);

// Truthiness as the oracle's __bool__: empty string, 0, NaN, empty list/dict, none and undefined
// are false; a namespace or function is true.
bool truthy(const Value& v);
// JS truthiness of the raw value (!!value): every container is true, even an empty one.
bool raw_truthy(const Value& v);

// RuntimeValue.toString(): what {{ v }} prints. Lists, dicts and namespaces print as JSON with
// ", "/": " separators and undefined as "undefined"; floats as js_float. Throws ValueError for
// things the oracle cannot print as JSON (tuples, kwargs and functions inside containers).
void append_display(std::string& out, const Value& v);
std::string display(const Value& v);
// The JS string of the raw value (value.toString()), used by ~ and + on strings: a float 1.0 is
// "1", a list is its items' display joined by ",", a dict "[object Map]".
std::string js_string(const Value& v);

struct JsonOptions {
  int indent = 0;  // 0: single line
  bool ensure_ascii = false;
  bool custom_separators = false;
  std::string item_separator;  // used when custom_separators
  std::string key_separator;
};
// The oracle's toJSON (tojson filter and printing of containers).
void append_json(std::string& out, const Value& v, const JsonOptions& options,
                 bool undefined_as_null, int depth = 0);

// JS `==` on the raw values (loose equality: "1" == 1, "" == false, null == undefined).
bool loose_equal(const Value& a, const Value& b);
// JS `===` on the raw values (numbers by value, containers by identity).
bool strict_equal(const Value& a, const Value& b);
// The oracle's compareRuntimeValues (sort, dictsort): numbers/bools by value, strings by JS order
// (lower-cased unless case_sensitive), none==none, undefined==undefined; else ValueError.
int compare_values(const Value& a, const Value& b, bool case_sensitive);

// JSON -> value as the oracle's convertToRuntimeValues after JSON.parse: integral numbers become
// ints, object keys keep their order except that array-index keys ("0", "7") come first in
// ascending order (JS property order). Throws ValueError past max_depth levels of nesting.
Value from_json(const nlohmann::ordered_json& j, std::uint32_t max_depth);

}  // namespace odma::tokenizer::jinja
