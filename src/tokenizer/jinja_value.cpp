#include "tokenizer/jinja_value.h"

#include <algorithm>
#include <cmath>

#include "tokenizer/jinja_error.h"
#include "tokenizer/jinja_text.h"

namespace odma::tokenizer::jinja {
namespace {

constexpr int kMaxPrintDepth = 512;  // also stops a namespace that contains itself

// The JS type of a value's raw payload, for == and ===.
enum class JsType { kUndefined, kNull, kBoolean, kNumber, kString, kObject };

JsType js_type(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
      return JsType::kUndefined;
    case Kind::kNone:
      return JsType::kNull;
    case Kind::kBool:
      return JsType::kBoolean;
    case Kind::kInt:
    case Kind::kFloat:
      return JsType::kNumber;
    case Kind::kString:
      return JsType::kString;
    default:
      return JsType::kObject;
  }
}

bool is_numeric_like(const Value& v) {
  return v.is_number() || v.is(Kind::kBool);
}
double numeric_value(const Value& v) {
  return v.is(Kind::kBool) ? (v.as_bool() ? 1 : 0) : v.as_number();
}

// "0".."4294967294" without leading zeros: keys JS orders first, numerically.
bool is_array_index(const std::string& key) {
  if (key.empty() || key.size() > 10) return false;
  if (key.size() > 1 && key[0] == '0') return false;
  for (char c : key) {
    if (c < '0' || c > '9') return false;
  }
  return std::stoull(key) <= 4294967294ULL;
}

std::uint32_t child_depth(const Value& v) {
  if (v.is_list()) return v.as_list().depth;
  if (v.is_object()) return v.as_dict().depth;
  return 0;
}

void append_number_json(std::string& out, double v) {
  out += std::isfinite(v) ? js_number(v) : "null";
}

}  // namespace

Value Value::string(std::string s) {
  return Value(Kind::kString, std::make_shared<const std::string>(std::move(s)));
}

Value Value::list(std::vector<Value> items, bool tuple) {
  auto l = std::make_shared<List>();
  std::uint32_t depth = 0;
  for (const Value& item : items) depth = std::max(depth, child_depth(item));
  l->items = std::move(items);
  l->tuple = tuple;
  l->depth = depth + 1;
  return list(std::move(l));
}

const void* Value::identity() const {
  if (auto* p = std::get_if<ListPtr>(&data_)) return p->get();
  if (auto* p = std::get_if<DictPtr>(&data_)) return p->get();
  if (auto* p = std::get_if<FunctionPtr>(&data_)) return p->get();
  return nullptr;
}

const Value* Dict::find(std::string_view key) const {
  for (const auto& [k, v] : entries) {
    if (k == key) return &v;
  }
  return nullptr;
}

Value* Dict::find(std::string_view key) {
  for (auto& [k, v] : entries) {
    if (k == key) return &v;
  }
  return nullptr;
}

void Dict::set(std::string_view key, Value value) {
  if (Value* slot = find(key)) {
    *slot = std::move(value);
  } else {
    entries.emplace_back(std::string(key), std::move(value));
  }
}

const char* type_name(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
      return "UndefinedValue";
    case Kind::kNone:
      return "NullValue";
    case Kind::kBool:
      return "BooleanValue";
    case Kind::kInt:
      return "IntegerValue";
    case Kind::kFloat:
      return "FloatValue";
    case Kind::kString:
      return "StringValue";
    case Kind::kList:
      return v.as_list().tuple ? "TupleValue" : "ArrayValue";
    case Kind::kDict:
      return "ObjectValue";
    case Kind::kKwargs:
      return "KeywordArgumentsValue";
    case Kind::kNamespace:
      return "NamespaceValue";
    case Kind::kFunction:
      return "FunctionValue";
  }
  return "?";
}

bool truthy(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
    case Kind::kNone:
      return false;
    case Kind::kBool:
      return v.as_bool();
    case Kind::kInt:
    case Kind::kFloat:
      return v.as_number() != 0 && !std::isnan(v.as_number());
    case Kind::kString:
      return !v.as_string().empty();
    case Kind::kList:
      return !v.as_list().items.empty();
    case Kind::kDict:
    case Kind::kKwargs:
      return !v.as_dict().entries.empty();
    case Kind::kNamespace:
    case Kind::kFunction:
      return true;
  }
  return false;
}

bool raw_truthy(const Value& v) {
  switch (v.kind()) {
    case Kind::kList:
    case Kind::kDict:
    case Kind::kKwargs:
      return true;
    default:
      return truthy(v);
  }
}

void append_display(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
      out += "undefined";
      return;
    case Kind::kNone:
      out += "null";
      return;
    case Kind::kBool:
      out += v.as_bool() ? "true" : "false";
      return;
    case Kind::kInt:
      out += js_number(v.as_number());
      return;
    case Kind::kFloat:
      out += js_float(v.as_number());
      return;
    case Kind::kString:
      out += v.as_string();
      return;
    case Kind::kFunction:
      throw ValueError("cannot print a function (FunctionValue)");
    default:
      append_json(out, v, JsonOptions{}, /*undefined_as_null=*/false);
      return;
  }
}

std::string display(const Value& v) {
  std::string out;
  append_display(out, v);
  return out;
}

std::string js_string(const Value& v) {
  switch (v.kind()) {
    case Kind::kInt:
    case Kind::kFloat:
      return js_number(v.as_number());
    case Kind::kList: {
      std::string out;
      bool first = true;
      for (const Value& item : v.as_list().items) {
        if (!first) out += ',';
        first = false;
        append_display(out, item);
      }
      return out;
    }
    case Kind::kDict:
    case Kind::kKwargs:
    case Kind::kNamespace:
      return "[object Map]";
    case Kind::kFunction:
      throw ValueError("cannot convert a function to a string");
    default:
      return display(v);
  }
}

void append_json(std::string& out, const Value& v, const JsonOptions& options,
                 bool undefined_as_null, int depth) {
  if (depth > kMaxPrintDepth) throw ValueError("value nested too deeply to convert to JSON");
  std::string_view item_sep = options.custom_separators ? std::string_view(options.item_separator)
                              : options.indent != 0     ? std::string_view(",")
                                                        : std::string_view(", ");
  std::string_view key_sep =
      options.custom_separators ? std::string_view(options.key_separator) : std::string_view(": ");
  auto pad = [&](int level) {
    out += '\n';
    out.append(static_cast<std::size_t>(options.indent) * static_cast<std::size_t>(level), ' ');
  };
  switch (v.kind()) {
    case Kind::kNone:
      out += "null";
      return;
    case Kind::kUndefined:
      out += undefined_as_null ? "null" : "undefined";
      return;
    case Kind::kBool:
      out += v.as_bool() ? "true" : "false";
      return;
    case Kind::kInt:
    case Kind::kFloat:
      append_number_json(out, v.as_number());
      return;
    case Kind::kString:
      append_json_string(out, v.as_string(), options.ensure_ascii);
      return;
    case Kind::kList: {
      if (v.as_list().tuple) break;
      const auto& items = v.as_list().items;
      out += '[';
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += item_sep;
        if (options.indent != 0) pad(depth + 1);
        append_json(out, items[i], options, undefined_as_null, depth + 1);
      }
      if (options.indent != 0 && !items.empty()) pad(depth);
      out += ']';
      return;
    }
    case Kind::kDict:
    case Kind::kNamespace: {
      const auto& entries = v.as_dict().entries;
      out += '{';
      for (std::size_t i = 0; i < entries.size(); ++i) {
        if (i > 0) out += item_sep;
        if (options.indent != 0) pad(depth + 1);
        append_json_string(out, entries[i].first, options.ensure_ascii);
        out += key_sep;
        append_json(out, entries[i].second, options, undefined_as_null, depth + 1);
      }
      if (options.indent != 0 && !entries.empty()) pad(depth);
      out += '}';
      return;
    }
    default:
      break;
  }
  throw ValueError(std::string("Cannot convert to JSON: ") + type_name(v));
}

bool loose_equal(const Value& a, const Value& b) {
  JsType ta = js_type(a), tb = js_type(b);
  if (ta == tb) return strict_equal(a, b);
  auto nullish = [](JsType t) { return t == JsType::kUndefined || t == JsType::kNull; };
  if (nullish(ta) || nullish(tb)) return nullish(ta) && nullish(tb);
  if (ta == JsType::kBoolean) return loose_equal(Value::integer(numeric_value(a)), b);
  if (tb == JsType::kBoolean) return loose_equal(a, Value::integer(numeric_value(b)));
  if (ta == JsType::kNumber && tb == JsType::kString) {
    return a.as_number() == js_string_to_number(b.as_string());
  }
  if (ta == JsType::kString && tb == JsType::kNumber) return loose_equal(b, a);
  // An object against a string or number: compare with the object's string form.
  if (a.is(Kind::kFunction) || b.is(Kind::kFunction)) return false;
  if (ta == JsType::kObject) return loose_equal(Value::string(js_string(a)), b);
  return loose_equal(a, Value::string(js_string(b)));
}

bool strict_equal(const Value& a, const Value& b) {
  JsType ta = js_type(a);
  if (ta != js_type(b)) return false;
  switch (ta) {
    case JsType::kUndefined:
    case JsType::kNull:
      return true;
    case JsType::kBoolean:
      return a.as_bool() == b.as_bool();
    case JsType::kNumber:
      return a.as_number() == b.as_number();
    case JsType::kString:
      return a.as_string() == b.as_string();
    case JsType::kObject:
      return a.identity() == b.identity();
  }
  return false;
}

int compare_values(const Value& a, const Value& b, bool case_sensitive) {
  auto fail = [&](const std::string& what) { throw ValueError(what); };
  if (a.is_none() && b.is_none()) return 0;
  if (a.is_none() || b.is_none()) {
    fail(std::string("Cannot compare ") + type_name(a) + " with " + type_name(b));
  }
  if (a.is_undefined() && b.is_undefined()) return 0;
  if (a.is_undefined() || b.is_undefined()) {
    fail(std::string("Cannot compare ") + type_name(a) + " with " + type_name(b));
  }
  if (is_numeric_like(a) && is_numeric_like(b)) {
    double x = numeric_value(a), y = numeric_value(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (std::string_view(type_name(a)) != type_name(b)) {
    fail(std::string("Cannot compare different types: ") + type_name(a) + " and " + type_name(b));
  }
  if (!a.is_string()) fail(std::string("Cannot compare type: ") + type_name(a));
  if (case_sensitive) return js_compare(a.as_string(), b.as_string());
  return js_compare(js_lower(a.as_string()), js_lower(b.as_string()));
}

Value from_json(const nlohmann::ordered_json& j, std::uint32_t max_depth) {
  using nlohmann::ordered_json;
  switch (j.type()) {
    case ordered_json::value_t::null:
      return Value::none();
    case ordered_json::value_t::boolean:
      return Value::boolean(j.get<bool>());
    case ordered_json::value_t::number_integer:
      return Value::integer(static_cast<double>(j.get<std::int64_t>()));
    case ordered_json::value_t::number_unsigned:
      return Value::integer(static_cast<double>(j.get<std::uint64_t>()));
    case ordered_json::value_t::number_float: {
      double d = j.get<double>();
      return std::trunc(d) == d ? Value::integer(d) : Value::number(d);
    }
    case ordered_json::value_t::string:
      return Value::string(j.get<std::string>());
    default:
      break;
  }
  if (max_depth == 0) throw ValueError("JSON value nested too deeply");
  if (j.is_array()) {
    std::vector<Value> items;
    items.reserve(j.size());
    for (const auto& item : j) items.push_back(from_json(item, max_depth - 1));
    return Value::list(std::move(items));
  }
  if (!j.is_object()) throw ValueError("unsupported JSON value (binary)");
  auto d = std::make_shared<Dict>();
  std::vector<std::pair<std::uint64_t, const std::string*>> index_keys;
  for (const auto& [key, value] : j.items()) {
    if (is_array_index(key)) index_keys.emplace_back(std::stoull(key), &key);
  }
  std::sort(index_keys.begin(), index_keys.end());
  std::uint32_t depth = 0;
  auto add = [&](const std::string& key, const ordered_json& value) {
    Value v = from_json(value, max_depth - 1);
    depth = std::max(depth, child_depth(v));
    d->entries.emplace_back(key, std::move(v));  // ordered_json keys are unique already
  };
  for (const auto& [n, key] : index_keys) add(*key, j.at(*key));
  for (const auto& [key, value] : j.items()) {
    if (!is_array_index(key)) add(key, value);
  }
  d->depth = depth + 1;
  return Value::dict(std::move(d));
}

}  // namespace odma::tokenizer::jinja
