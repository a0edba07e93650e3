// Filters, following the oracle's applyFilter: the plain form `x | f` and the call form
// `x | f(...)` are separate tables there, dispatched on the operand's type.
#include <algorithm>
#include <cmath>
#include <string>

#include "tokenizer/jinja_builtins.h"
#include "tokenizer/jinja_error.h"
#include "tokenizer/jinja_text.h"

namespace odma::tokenizer::jinja {
namespace {

constexpr int kMaxIndent = 256;

const char* filter_name(Filter f) {
  switch (f) {
    case Filter::kSafe:
      return "safe";
    case Filter::kTojson:
      return "tojson";
    case Filter::kList:
      return "list";
    case Filter::kFirst:
      return "first";
    case Filter::kLast:
      return "last";
    case Filter::kLength:
      return "length";
    case Filter::kReverse:
      return "reverse";
    case Filter::kSort:
      return "sort";
    case Filter::kJoin:
      return "join";
    case Filter::kString:
      return "string";
    case Filter::kUnique:
      return "unique";
    case Filter::kUpper:
      return "upper";
    case Filter::kLower:
      return "lower";
    case Filter::kTitle:
      return "title";
    case Filter::kCapitalize:
      return "capitalize";
    case Filter::kTrim:
      return "trim";
    case Filter::kIndent:
      return "indent";
    case Filter::kInt:
      return "int";
    case Filter::kFloat:
      return "float";
    case Filter::kAbs:
      return "abs";
    case Filter::kItems:
      return "items";
    case Filter::kBool:
      return "bool";
    case Filter::kKeys:
      return "keys";
    case Filter::kValues:
      return "values";
    case Filter::kDictsort:
      return "dictsort";
    case Filter::kGet:
      return "get";
    case Filter::kDefault:
      return "default";
    case Filter::kSelectattr:
      return "selectattr";
    case Filter::kRejectattr:
      return "rejectattr";
    case Filter::kMap:
      return "map";
    case Filter::kReplace:
      return "replace";
    case Filter::kSelect:
      return "select";
    case Filter::kReject:
      return "reject";
  }
  return "?";
}

[[noreturn]] void unknown(const char* type, Filter f) {
  throw ValueError(std::string("Unknown ") + type + " filter: " + filter_name(f));
}

[[noreturn]] void cannot_apply(Filter f, const Value& operand) {
  throw ValueError(std::string("Cannot apply filter \"") + filter_name(f) +
                   "\" to type: " + type_name(operand));
}

// args[i], else kwargs[key], else the fallback.
Value option(const std::vector<Value>& args, std::size_t i, const Dict& kwargs,
             std::string_view key, Value fallback) {
  if (i < args.size()) return args[i];
  if (!key.empty()) {
    if (const Value* v = kwargs.find(key)) return *v;
  }
  return fallback;
}

bool same_value_zero(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number() && std::isnan(a.as_number()) && std::isnan(b.as_number())) {
    return true;
  }
  return strict_equal(a, b);
}

Value indent(const std::string& s, int width, bool first, bool blank, RenderState& state) {
  if (width < 0 || width > kMaxIndent) throw ValueError("indent width out of range");
  std::string pad(static_cast<std::size_t>(width), ' ');
  std::string out;
  std::size_t start = 0, line = 0;
  while (true) {
    std::size_t nl = s.find('\n', start);
    std::string_view part =
        std::string_view(s).substr(start, nl == std::string::npos ? nl : nl - start);
    if (!((line == 0 && !first) || (part.empty() && !blank))) out += pad;
    out += part;
    if (nl == std::string::npos) break;
    out += '\n';
    start = nl + 1;
    ++line;
  }
  return state.make_string(std::move(out));
}

Value tojson(const Value& operand, const Dict& kwargs, RenderState& state) {
  JsonOptions options;
  if (const Value* v = kwargs.find("indent")) {
    if (!v->is(Kind::kInt) && !v->is_none()) throw ValueError("If set, indent must be a number");
    if (v->is(Kind::kInt)) {
      double n = v->as_number();
      if (n < 0 || n > kMaxIndent) throw ValueError("tojson indent out of range");
      options.indent = static_cast<int>(n);
    }
  }
  if (const Value* v = kwargs.find("ensure_ascii")) {
    if (!v->is(Kind::kBool)) throw ValueError("If set, ensure_ascii must be a boolean");
    options.ensure_ascii = v->as_bool();
  }
  if (const Value* v = kwargs.find("sort_keys")) {
    if (!v->is(Kind::kBool)) throw ValueError("If set, sort_keys must be a boolean");
    if (v->as_bool()) {
      throw ValueError("tojson(sort_keys=true) is not supported (the oracle sorts by locale)");
    }
  }
  if (const Value* v = kwargs.find("separators"); v != nullptr && !v->is_none()) {
    if (!v->is_list()) throw ValueError("If set, separators must be a tuple of two strings");
    const auto& seps = v->as_list().items;
    if (seps.size() != 2 || !seps[0].is_string() || !seps[1].is_string()) {
      throw ValueError("separators must be a tuple of two strings");
    }
    options.custom_separators = true;
    options.item_separator = seps[0].as_string();
    options.key_separator = seps[1].as_string();
  }
  std::string out;
  append_json(out, operand, options, /*undefined_as_null=*/true);
  return state.make_string(std::move(out));
}

// Array.prototype.join over the raw values: none/undefined give "".
Value join(const Value& operand, const std::string& sep, RenderState& state) {
  std::string out;
  bool first = true;
  auto add = [&](std::string_view piece) {
    if (!first) out += sep;
    first = false;
    out += piece;
  };
  if (operand.is_string()) {
    const std::string& s = operand.as_string();
    for (std::size_t i = 0; i < s.size();) {
      std::size_t start = i;
      decode_utf8(s, i);
      add(std::string_view(s).substr(start, i - start));
    }
  } else {
    for (const Value& item : operand.as_list().items) {
      add(item.is_none() || item.is_undefined() ? std::string() : js_string(item));
    }
  }
  return state.make_string(std::move(out));
}

Value sorted(const Value& operand, bool reverse, bool case_sensitive, const Value& attribute,
             RenderState& state) {
  std::vector<Value> items = operand.as_list().items;
  state.charge(items.size() * 4);
  auto key = [&](const Value& item) {
    if (attribute.is_none()) return item;
    return get_attribute_path(
        item, attribute.is_string() ? attribute.as_string() : js_number(attribute.as_number()));
  };
  std::stable_sort(items.begin(), items.end(), [&](const Value& a, const Value& b) {
    int c = compare_values(key(a), key(b), case_sensitive);
    return reverse ? c > 0 : c < 0;
  });
  return state.make_list(std::move(items));
}

Value select_attr(const Value& operand, const std::vector<Value>& args, bool select, Filter f,
                  RenderState& state) {
  const auto& items = operand.as_list().items;
  for (const Value& item : items) {
    if (!item.is_mapping_like()) {
      throw ValueError(std::string("`") + filter_name(f) +
                       "` can only be applied to array of objects");
    }
  }
  if (args.empty() || !args[0].is_string()) throw ValueError("selectattr needs an attribute name");
  std::optional<Test> test;
  if (args.size() > 1) test = find_test(args[1].as_string());
  Value argument = args.size() > 2 ? args[2] : Value();
  std::vector<Value> out;
  for (const Value& item : items) {
    const Value* a = item.as_dict().find(args[0].as_string());
    bool result = a != nullptr && (test ? apply_test(*test, *a, argument) : truthy(*a));
    if (result == select) out.push_back(item);
  }
  return state.make_list(std::move(out));
}

// select / reject (Jinja2's; an extension over the oracle, which lacks them).
Value select_items(const Value& operand, const std::vector<Value>& args, bool select,
                   RenderState& state) {
  std::optional<Test> test;
  if (!args.empty()) test = find_test(args[0].as_string());
  Value argument = args.size() > 1 ? args[1] : Value();
  std::vector<Value> out;
  for (const Value& item : operand.as_list().items) {
    bool result = test ? apply_test(*test, item, argument) : truthy(item);
    if (result == select) out.push_back(item);
  }
  return state.make_list(std::move(out));
}

Value map_attribute(const Value& operand, const Dict& kwargs, RenderState& state) {
  const Value* attr = kwargs.find("attribute");
  if (attr == nullptr) {
    throw ValueError("`map` expressions without `attribute` set are not currently supported.");
  }
  if (!attr->is_string()) throw ValueError("attribute must be a string");
  const Value* fallback = kwargs.find("default");
  std::vector<Value> out;
  for (const Value& item : operand.as_list().items) {
    if (!item.is_mapping_like()) throw ValueError("items in map must be an object");
    Value v = get_attribute_path(item, attr->as_string());
    out.push_back(v.is_undefined() && fallback != nullptr ? *fallback : v);
  }
  return state.make_list(std::move(out));
}

Value plain_list_filter(Filter f, const Value& operand, RenderState& state) {
  const auto& items = operand.as_list().items;
  switch (f) {
    case Filter::kList:
      return operand;
    case Filter::kFirst:
      return items.empty() ? Value() : items.front();
    case Filter::kLast:
      return items.empty() ? Value() : items.back();
    case Filter::kLength:
      return Value::integer(static_cast<double>(items.size()));
    case Filter::kReverse:
      return state.make_list(std::vector<Value>(items.rbegin(), items.rend()));
    case Filter::kSort:
      return sorted(operand, false, false, Value::none(), state);
    case Filter::kSelect:
    case Filter::kReject:
      return select_items(operand, {}, f == Filter::kSelect, state);
    case Filter::kJoin:
      return join(operand, "", state);
    case Filter::kString: {
      std::string out;
      append_json(out, operand, JsonOptions{}, /*undefined_as_null=*/false);
      return state.make_string(std::move(out));
    }
    case Filter::kUnique: {
      std::vector<Value> out;
      state.charge(items.size() * items.size() / 16);
      for (const Value& item : items) {
        bool seen = std::any_of(out.begin(), out.end(),
                                [&](const Value& o) { return same_value_zero(o, item); });
        if (!seen) out.push_back(item);
      }
      return state.make_list(std::move(out));
    }
    default:
      unknown("ArrayValue", f);
  }
}

Value plain_string_filter(Filter f, const Value& operand, RenderState& state) {
  const std::string& s = operand.as_string();
  switch (f) {
    case Filter::kLength:
      return Value::integer(static_cast<double>(utf16_length(s)));
    case Filter::kUpper:
      return state.make_string(js_upper(s));
    case Filter::kLower:
      return state.make_string(js_lower(s));
    case Filter::kTitle:
      return state.make_string(js_title(s));
    case Filter::kCapitalize:
      return state.make_string(js_capitalize(s));
    case Filter::kTrim:
      return state.make_string(std::string(js_trim(s)));
    case Filter::kIndent:
      return indent(s, 4, false, false, state);
    case Filter::kJoin:
    case Filter::kString:
      return operand;
    case Filter::kInt: {
      double v = js_parse_int(s);
      return Value::integer(std::isnan(v) ? 0 : v);
    }
    case Filter::kFloat: {
      double v = js_parse_float(s);
      return Value::number(std::isnan(v) ? 0 : v);
    }
    default:
      unknown("StringValue", f);
  }
}

Value plain_filter(Filter f, const Value& operand, RenderState& state) {
  if (f == Filter::kSafe) return operand;
  if (f == Filter::kTojson) return tojson(operand, Dict{}, state);
  if (operand.is_list()) return plain_list_filter(f, operand, state);
  if (operand.is_string()) return plain_string_filter(f, operand, state);
  if (operand.is_number()) {
    double v = operand.as_number();
    switch (f) {
      case Filter::kAbs:
        return operand.is(Kind::kInt) ? Value::integer(std::fabs(v)) : Value::number(std::fabs(v));
      case Filter::kInt:
        return Value::integer(std::floor(v));
      case Filter::kFloat:
        return Value::number(v);
      case Filter::kString:
        return state.make_string(display(operand));
      default:
        unknown("NumericValue", f);
    }
  }
  if (operand.is_object()) {
    switch (f) {
      case Filter::kItems:
        return call_method(Method::kItems, operand, {}, state);
      case Filter::kLength:
        return Value::integer(static_cast<double>(operand.as_dict().entries.size()));
      case Filter::kKeys:
        return call_method(Method::kKeys, operand, {}, state);
      case Filter::kValues:
        return call_method(Method::kValues, operand, {}, state);
      case Filter::kDictsort:
        return call_method(Method::kDictsort, operand, {}, state);
      default:
        unknown("ObjectValue", f);
    }
  }
  if (operand.is(Kind::kBool)) {
    bool b = operand.as_bool();
    switch (f) {
      case Filter::kBool:
        return operand;
      case Filter::kInt:
        return Value::integer(b ? 1 : 0);
      case Filter::kFloat:
        return Value::number(b ? 1 : 0);
      case Filter::kString:
        return Value::string(b ? "true" : "false");
      default:
        unknown("BooleanValue", f);
    }
  }
  cannot_apply(f, operand);
}

Value called_filter(Filter f, const Value& operand, std::vector<Value>& args, const Dict& kwargs,
                    RenderState& state) {
  switch (f) {
    case Filter::kTojson:
      return tojson(operand, kwargs, state);
    case Filter::kJoin: {
      if (!operand.is_string() && !operand.is_list()) cannot_apply(f, operand);
      Value sep = option(args, 0, kwargs, "separator", Value::string(""));
      if (!sep.is_string()) throw ValueError("separator must be a string");
      return join(operand, sep.as_string(), state);
    }
    case Filter::kInt:
    case Filter::kFloat: {
      bool is_int = f == Filter::kInt;
      Value fallback =
          option(args, 0, kwargs, "default", is_int ? Value::integer(0) : Value::number(0));
      if (operand.is_string()) {
        double v = is_int ? js_parse_int(operand.as_string()) : js_parse_float(operand.as_string());
        if (std::isnan(v)) return fallback;
        return is_int ? Value::integer(v) : Value::number(v);
      }
      if (operand.is_number()) return operand;
      if (operand.is(Kind::kBool)) {
        double v = operand.as_bool() ? 1 : 0;
        return is_int ? Value::integer(v) : Value::number(v);
      }
      cannot_apply(f, operand);
    }
    case Filter::kDefault: {
      Value fallback = args.size() > 0 ? args[0] : Value::string("");
      Value boolean = option(args, 1, kwargs, "boolean", Value::boolean(false));
      if (!boolean.is(Kind::kBool)) throw ValueError("`default` filter flag must be a boolean");
      if (operand.is_undefined() || (boolean.as_bool() && !truthy(operand))) return fallback;
      return operand;
    }
    default:
      break;
  }
  if (operand.is_list()) {
    switch (f) {
      case Filter::kSort: {
        Value reverse = option(args, 0, kwargs, "reverse", Value::boolean(false));
        if (!reverse.is(Kind::kBool)) throw ValueError("reverse must be a boolean");
        Value case_sensitive = option(args, 1, kwargs, "case_sensitive", Value::boolean(false));
        if (!case_sensitive.is(Kind::kBool)) throw ValueError("case_sensitive must be a boolean");
        Value attribute = option(args, 2, kwargs, "attribute", Value::none());
        if (!attribute.is_string() && !attribute.is(Kind::kInt) && !attribute.is_none()) {
          throw ValueError("attribute must be a string, integer, or null");
        }
        return sorted(operand, reverse.as_bool(), case_sensitive.as_bool(), attribute, state);
      }
      case Filter::kSelectattr:
      case Filter::kRejectattr:
        return select_attr(operand, args, f == Filter::kSelectattr, f, state);
      case Filter::kSelect:
      case Filter::kReject:
        return select_items(operand, args, f == Filter::kSelect, state);
      case Filter::kMap:
        return map_attribute(operand, kwargs, state);
      default:
        unknown("ArrayValue", f);
    }
  }
  if (operand.is_string()) {
    switch (f) {
      case Filter::kIndent: {
        Value width = option(args, 0, kwargs, "width", Value::integer(4));
        if (!width.is(Kind::kInt)) throw ValueError("width must be a number");
        Value first = option(args, 1, kwargs, "first", Value::boolean(false));
        Value blank = option(args, 2, kwargs, "blank", Value::boolean(false));
        double w = width.as_number();
        if (w < 0 || w > kMaxIndent) throw ValueError("indent width out of range");
        return indent(operand.as_string(), static_cast<int>(w), raw_truthy(first),
                      raw_truthy(blank), state);
      }
      case Filter::kReplace: {
        auto kw = std::make_shared<Dict>(kwargs);
        args.push_back(Value::dict(std::move(kw), Kind::kKwargs));
        return call_method(Method::kReplace, operand, args, state);
      }
      default:
        unknown("StringValue", f);
    }
  }
  if (operand.is_object()) {
    std::optional<Method> m;
    switch (f) {
      case Filter::kGet:
        m = Method::kGet;
        break;
      case Filter::kItems:
        m = Method::kItems;
        break;
      case Filter::kKeys:
        m = Method::kKeys;
        break;
      case Filter::kValues:
        m = Method::kValues;
        break;
      case Filter::kDictsort:
        m = Method::kDictsort;
        break;
      default:
        unknown("ObjectValue", f);
    }
    if (!kwargs.entries.empty()) {
      args.push_back(Value::dict(std::make_shared<Dict>(kwargs), Kind::kKwargs));
    }
    return call_method(*m, operand, args, state);
  }
  cannot_apply(f, operand);
}

}  // namespace

Value apply_filter(Filter f, bool called, const Value& operand, std::vector<Value>& positional,
                   const Dict& kwargs, RenderState& state) {
  return called ? called_filter(f, operand, positional, kwargs, state)
                : plain_filter(f, operand, state);
}

}  // namespace odma::tokenizer::jinja
