// Name tables, render budgets, attribute lookup, tests and the global functions.
#include "tokenizer/jinja_builtins.h"

#include <array>
#include <cmath>
#include <string>
#include <utility>

#include "tokenizer/jinja_error.h"
#include "tokenizer/jinja_text.h"

namespace odma::tokenizer::jinja {
namespace {

struct FilterName {
  std::string_view name;
  Filter filter;
  bool plain;   // usable as `x | name`
  bool called;  // usable as `x | name(...)`
};

constexpr std::array<FilterName, 33> kFilters = {{
    {"safe", Filter::kSafe, true, false},
    {"tojson", Filter::kTojson, true, true},
    {"list", Filter::kList, true, false},
    {"first", Filter::kFirst, true, false},
    {"last", Filter::kLast, true, false},
    {"length", Filter::kLength, true, false},
    {"reverse", Filter::kReverse, true, false},
    {"sort", Filter::kSort, true, true},
    {"join", Filter::kJoin, true, true},
    {"string", Filter::kString, true, false},
    {"unique", Filter::kUnique, true, false},
    {"upper", Filter::kUpper, true, false},
    {"lower", Filter::kLower, true, false},
    {"title", Filter::kTitle, true, false},
    {"capitalize", Filter::kCapitalize, true, false},
    {"trim", Filter::kTrim, true, false},
    {"indent", Filter::kIndent, true, true},
    {"int", Filter::kInt, true, true},
    {"float", Filter::kFloat, true, true},
    {"abs", Filter::kAbs, true, false},
    {"items", Filter::kItems, true, true},
    {"bool", Filter::kBool, true, false},
    {"keys", Filter::kKeys, true, true},
    {"values", Filter::kValues, true, true},
    {"dictsort", Filter::kDictsort, true, true},
    {"get", Filter::kGet, false, true},
    {"default", Filter::kDefault, false, true},
    {"selectattr", Filter::kSelectattr, false, true},
    {"rejectattr", Filter::kRejectattr, false, true},
    {"map", Filter::kMap, false, true},
    {"replace", Filter::kReplace, false, true},
    {"select", Filter::kSelect, true, true},
    {"reject", Filter::kReject, true, true},
}};

constexpr std::array<std::pair<std::string_view, Test>, 19> kTests = {{
    {"boolean", Test::kBoolean},   {"callable", Test::kCallable},   {"odd", Test::kOdd},
    {"even", Test::kEven},         {"false", Test::kFalse},         {"true", Test::kTrue},
    {"none", Test::kNone},         {"string", Test::kString},       {"number", Test::kNumber},
    {"integer", Test::kInteger},   {"iterable", Test::kIterable},   {"mapping", Test::kMapping},
    {"sequence", Test::kSequence}, {"lower", Test::kLower},         {"upper", Test::kUpper},
    {"defined", Test::kDefined},   {"undefined", Test::kUndefined}, {"equalto", Test::kEqualto},
    {"eq", Test::kEqualto},
}};

constexpr std::array<std::pair<std::string_view, Method>, 16> kMethods = {{
    {"upper", Method::kUpper},
    {"lower", Method::kLower},
    {"strip", Method::kStrip},
    {"title", Method::kTitle},
    {"capitalize", Method::kCapitalize},
    {"rstrip", Method::kRstrip},
    {"lstrip", Method::kLstrip},
    {"startswith", Method::kStartswith},
    {"endswith", Method::kEndswith},
    {"split", Method::kSplit},
    {"replace", Method::kReplace},
    {"get", Method::kGet},
    {"items", Method::kItems},
    {"keys", Method::kKeys},
    {"values", Method::kValues},
    {"dictsort", Method::kDictsort},
}};

bool is_string_method(Method m) {
  return m <= Method::kReplace;
}

Value bound_method(Method m, const Value& self) {
  auto f = std::make_shared<Function>();
  f->kind = FunctionKind::kMethod;
  f->method = static_cast<std::uint8_t>(m);
  f->self = self;
  return Value::function(std::move(f));
}

Value make_namespace(const std::vector<Value>& args, RenderState& state) {
  std::size_t positional = args.size();
  const Dict* kwargs = nullptr;
  if (positional > 0 && args.back().is(Kind::kKwargs)) {
    kwargs = &args.back().as_dict();
    --positional;
  }
  if (positional > 1) {
    throw ValueError("namespace expected at most 1 argument, got " + std::to_string(positional));
  }
  auto ns = std::make_shared<Dict>();
  if (positional == 1) {
    const Value& source = args[0];
    if (source.is_object()) {
      ns->entries = source.as_dict().entries;
    } else if (source.is_list()) {
      for (const Value& pair : source.as_list().items) {
        std::vector<Value> kv;
        if (pair.is_list()) {
          kv = pair.as_list().items;
        } else if (pair.is_string()) {
          const std::string& s = pair.as_string();
          for (std::size_t i = 0; i < s.size();) {
            std::size_t start = i;
            decode_utf8(s, i);
            kv.push_back(Value::string(s.substr(start, i - start)));
          }
        }
        if (kv.size() != 2) {
          throw ValueError("namespace expected an object or an iterable of [key, value] pairs");
        }
        if (!kv[0].is_string()) throw ValueError("namespace keys must be strings");
        ns->set(kv[0].as_string(), kv[1]);
      }
    } else {
      throw ValueError(std::string("'") + type_name(source) + "' object is not iterable");
    }
  }
  if (kwargs != nullptr) {
    for (const auto& [key, value] : kwargs->entries) ns->set(key, value);
  }
  state.charge(1 + ns->entries.size());
  state.namespaces.push_back(ns);
  return Value::dict(std::move(ns), Kind::kNamespace);
}

// Python's range() as the oracle writes it: a JS loop with `i += step`.
Value make_range(const std::vector<Value>& args, RenderState& state) {
  if (args.empty() || args.size() > 3) throw ValueError("range() expects 1 to 3 arguments");
  for (const Value& a : args) {
    if (!a.is_number()) throw ValueError("range() arguments must be numbers");
  }
  double start = 0, stop = 0, step = 1;
  if (args.size() == 1) {
    stop = args[0].as_number();
  } else {
    start = args[0].as_number();
    stop = args[1].as_number();
    if (args.size() == 3) step = args[2].as_number();
  }
  if (step == 0) throw ValueError("range() step must not be zero");
  double span = step > 0 ? stop - start : start - stop;
  double count = span > 0 ? std::ceil(span / std::fabs(step)) : 0;
  if (!(count < static_cast<double>(state.max_steps))) {
    state.charge(state.max_steps + 1);  // reports the budget, without building the list
  }
  state.charge(static_cast<std::size_t>(count) + 1);
  std::vector<Value> items;
  items.reserve(static_cast<std::size_t>(count));
  for (double i = start; step > 0 ? i < stop : i > stop; i += step) {
    items.push_back(std::trunc(i) == i ? Value::integer(i) : Value::number(i));
    if (items.size() > static_cast<std::size_t>(count) + 1) break;  // float drift guard
  }
  return Value::list(std::move(items));
}

std::string strftime(const std::tm& t, std::string_view format) {
  static const char* kMonths[] = {"January",   "February", "March",    "April",
                                  "May",       "June",     "July",     "August",
                                  "September", "October",  "November", "December"};
  auto pad2 = [](int n) { return (n < 10 ? "0" : "") + std::to_string(n); };
  int month = t.tm_mon >= 0 && t.tm_mon < 12 ? t.tm_mon : 0;
  std::string out;
  for (std::size_t i = 0; i < format.size(); ++i) {
    char c = format[i];
    char next = i + 1 < format.size() ? format[i + 1] : '\0';
    if (c != '%' || std::string_view("YmdbBHM%").find(next) == std::string_view::npos ||
        next == '\0') {
      out += c;
      continue;
    }
    ++i;
    switch (next) {
      case 'Y':
        out += std::to_string(t.tm_year + 1900);
        break;
      case 'm':
        out += pad2(t.tm_mon + 1);
        break;
      case 'd':
        out += pad2(t.tm_mday);
        break;
      case 'b':
        out += std::string(kMonths[month]).substr(0, 3);
        break;
      case 'B':
        out += kMonths[month];
        break;
      case 'H':
        out += pad2(t.tm_hour);
        break;
      case 'M':
        out += pad2(t.tm_min);
        break;
      default:
        out += '%';
        break;
    }
  }
  return out;
}

}  // namespace

std::optional<Filter> find_filter(std::string_view name, bool called) {
  for (const FilterName& f : kFilters) {
    if (f.name == name && (called ? f.called : f.plain)) return f.filter;
  }
  return std::nullopt;
}

std::optional<Test> find_test(std::string_view name) {
  for (const auto& [n, t] : kTests) {
    if (n == name) return t;
  }
  return std::nullopt;
}

std::optional<Method> find_method(std::string_view name) {
  for (const auto& [n, m] : kMethods) {
    if (n == name) return m;
  }
  return std::nullopt;
}

bool test_needs_argument(Test t) {
  return t == Test::kEqualto;
}

void RenderState::charge(std::size_t n) {
  steps += n;
  if (steps > max_steps) {
    throw ValueError("render step budget exceeded (" + std::to_string(max_steps) +
                     " steps): the template loops or recurses too much");
  }
}

void RenderState::charge_string(std::size_t bytes) {
  if (bytes > max_bytes) {
    throw ValueError("render output limit exceeded (a string of " + std::to_string(bytes) +
                     " bytes; the limit is " + std::to_string(max_bytes) + ")");
  }
  charge(1 + bytes / 16);
}

void RenderState::check_nesting(std::uint32_t depth) const {
  if (depth > max_nesting) {
    throw ValueError("lists/dicts nested deeper than " + std::to_string(max_nesting));
  }
}

Value RenderState::make_string(std::string s) {
  charge_string(s.size());
  return Value::string(std::move(s));
}

Value RenderState::make_list(std::vector<Value> items, bool tuple) {
  charge(1 + items.size());
  Value v = Value::list(std::move(items), tuple);
  check_nesting(v.as_list().depth);
  return v;
}

Value get_attribute(const Value& object, std::string_view name) {
  if (object.is_mapping_like()) {
    if (const Value* v = object.as_dict().find(name)) return *v;
    if (object.is(Kind::kNamespace)) return {};
    auto m = find_method(name);
    return m && !is_string_method(*m) ? bound_method(*m, object) : Value();
  }
  if (object.is_string()) {
    if (name == "length")
      return Value::integer(static_cast<double>(utf16_length(object.as_string())));
    auto m = find_method(name);
    return m && is_string_method(*m) ? bound_method(*m, object) : Value();
  }
  if (object.is_list() && name == "length") {
    return Value::integer(static_cast<double>(object.as_list().items.size()));
  }
  return {};
}

Value get_attribute_path(const Value& item, std::string_view path) {
  Value value = item;
  while (true) {
    std::size_t dot = path.find('.');
    std::string_view part = path.substr(0, dot);
    if (value.is_mapping_like()) {
      const Value* v = value.as_dict().find(part);
      value = v != nullptr ? *v : Value();
    } else if (value.is_list()) {
      double index = js_parse_int(part);
      const auto& items = value.as_list().items;
      if (std::isnan(index) || index < 0 || index >= static_cast<double>(items.size())) return {};
      value = items[static_cast<std::size_t>(index)];
    } else {
      return {};
    }
    if (dot == std::string_view::npos) return value;
    path.remove_prefix(dot + 1);
  }
}

bool apply_test(Test t, const Value& v, const Value& argument) {
  switch (t) {
    case Test::kBoolean:
      return v.is(Kind::kBool);
    case Test::kCallable:
      return v.is(Kind::kFunction);
    case Test::kOdd:
    case Test::kEven: {
      if (!v.is(Kind::kInt)) {
        throw ValueError(std::string("cannot ") + (t == Test::kOdd ? "odd" : "even") + " on " +
                         type_name(v));
      }
      bool odd = std::fmod(v.as_number(), 2) != 0;
      return t == Test::kOdd ? odd : !odd;
    }
    case Test::kFalse:
      return v.is(Kind::kBool) && !v.as_bool();
    case Test::kTrue:
      return v.is(Kind::kBool) && v.as_bool();
    case Test::kNone:
      return v.is_none();
    case Test::kString:
      return v.is_string();
    case Test::kNumber:
      return v.is_number();
    case Test::kInteger:
      return v.is(Kind::kInt);
    case Test::kIterable:
      return (v.is_list() && !v.as_list().tuple) || v.is_string();
    case Test::kMapping:
      return v.is_object();
    case Test::kSequence:
      return v.is_list() || v.is_object() || v.is_string();
    case Test::kLower:
      return v.is_string() && v.as_string() == js_lower(v.as_string());
    case Test::kUpper:
      return v.is_string() && v.as_string() == js_upper(v.as_string());
    case Test::kDefined:
      return !v.is_undefined();
    case Test::kUndefined:
      return v.is_undefined();
    case Test::kEqualto:
      return strict_equal(v, argument);
  }
  return false;
}

Value call_global(FunctionKind kind, const std::vector<Value>& args, RenderState& state) {
  switch (kind) {
    case FunctionKind::kNamespace:
      return make_namespace(args, state);
    case FunctionKind::kRange:
      return make_range(args, state);
    case FunctionKind::kRaiseException: {
      // new Error(value): the message is the value as a JS string ("" when absent).
      if (args.empty() || args[0].is_undefined()) throw ValueError("");
      throw ValueError(js_string(args[0]));
    }
    case FunctionKind::kStrftimeNow: {
      if (args.empty() || !args[0].is_string()) {
        throw ValueError("strftime_now() expects a format string");
      }
      return state.make_string(strftime(state.now(), args[0].as_string()));
    }
    default:
      break;
  }
  throw ValueError("not a global function");
}

}  // namespace odma::tokenizer::jinja
