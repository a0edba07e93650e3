// String and dict methods (StringValue / ObjectValue builtins of the oracle).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "tokenizer/jinja_builtins.h"
#include "tokenizer/jinja_error.h"
#include "tokenizer/jinja_text.h"

namespace odma::tokenizer::jinja {
namespace {

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

Value affix_test(const std::string& s, const std::vector<Value>& args, bool prefix) {
  const char* name = prefix ? "startswith" : "endswith";
  auto match = [&](const std::string& p) { return prefix ? starts_with(s, p) : ends_with(s, p); };
  if (args.empty()) throw ValueError(std::string(name) + "() requires at least one argument");
  const Value& pattern = args[0];
  if (pattern.is_string()) return Value::boolean(match(pattern.as_string()));
  if (pattern.is_list()) {
    for (const Value& item : pattern.as_list().items) {
      if (!item.is_string())
        throw ValueError(std::string(name) + "() tuple elements must be strings");
      if (match(item.as_string())) return Value::boolean(true);
    }
    return Value::boolean(false);
  }
  throw ValueError(std::string(name) + "() argument must be a string or tuple of strings");
}

// Python's str.split as the oracle writes it (JS split plus maxsplit folding).
Value split(const std::string& s, const std::vector<Value>& args, RenderState& state) {
  Value sep = args.size() > 0 ? args[0] : Value::none();
  if (!sep.is_string() && !sep.is_none()) throw ValueError("sep argument must be a string or null");
  Value maxsplit_value = args.size() > 1 ? args[1] : Value::integer(-1);
  if (!maxsplit_value.is(Kind::kInt)) throw ValueError("maxsplit argument must be a number");
  double maxsplit = maxsplit_value.as_number();
  std::vector<std::string> parts;
  if (sep.is_none()) {
    std::string_view text = js_trim_start(s);
    std::size_t i = 0;
    while (i < text.size()) {
      std::size_t start = i;
      while (i < text.size() && js_space_at(text, i) == 0) ++i;
      if (maxsplit != -1 && static_cast<double>(parts.size()) >= maxsplit) {
        parts.emplace_back(text.substr(start));
        break;
      }
      parts.emplace_back(text.substr(start, i - start));
      while (std::size_t n = js_space_at(text, i)) i += n;
    }
  } else {
    const std::string& d = sep.as_string();
    if (d.empty()) throw ValueError("empty separator");
    std::size_t start = 0;
    while (true) {
      std::size_t hit = s.find(d, start);
      if (hit == std::string::npos) break;
      parts.push_back(s.substr(start, hit - start));
      start = hit + d.size();
    }
    parts.push_back(s.substr(start));
    if (maxsplit != -1 && static_cast<double>(parts.size()) > maxsplit) {
      // result.push(result.splice(maxsplit).join(sep)), with JS's negative splice index.
      double n = static_cast<double>(parts.size());
      std::size_t keep =
          static_cast<std::size_t>(maxsplit < 0 ? std::max(n + maxsplit, 0.0) : maxsplit);
      std::string rest;
      for (std::size_t i = keep; i < parts.size(); ++i) {
        if (i > keep) rest += d;
        rest += parts[i];
      }
      parts.resize(keep);
      parts.push_back(std::move(rest));
    }
  }
  std::vector<Value> items;
  items.reserve(parts.size());
  for (std::string& p : parts) items.push_back(state.make_string(std::move(p)));
  return state.make_list(std::move(items));
}

Value replace(const std::string& s, const std::vector<Value>& args, RenderState& state) {
  if (args.size() < 2) throw ValueError("replace() requires at least two arguments");
  if (!args[0].is_string() || !args[1].is_string()) {
    throw ValueError("replace() arguments must be strings");
  }
  Value count = Value::none();
  if (args.size() > 2) {
    if (args[2].is(Kind::kKwargs)) {
      const Value* c = args[2].as_dict().find("count");
      count = c != nullptr ? *c : Value::none();
    } else {
      count = args[2];
    }
  }
  if (!count.is(Kind::kInt) && !count.is_none()) {
    throw ValueError("replace() count argument must be a number or null");
  }
  if (count.is(Kind::kInt) && count.as_number() == 0) return Value::string(s);
  double remaining = count.is_none() || count.as_number() < 0
                         ? std::numeric_limits<double>::infinity()
                         : count.as_number();
  const std::string& from = args[0].as_string();
  const std::string& to = args[1].as_string();
  std::string out;
  if (from.empty()) {  // /(?=)/gu: before every code point and at the end
    for (std::size_t i = 0; i <= s.size();) {
      if (remaining > 0) {
        out += to;
        --remaining;
      }
      if (i == s.size()) break;
      std::size_t start = i;
      decode_utf8(s, i);
      out.append(s, start, i - start);
    }
  } else {
    std::size_t start = 0;
    while (remaining > 0) {
      std::size_t hit = s.find(from, start);
      if (hit == std::string::npos) break;
      out.append(s, start, hit - start);
      out += to;
      start = hit + from.size();
      --remaining;
    }
    out.append(s, start);
  }
  return state.make_string(std::move(out));
}

Value pairs(const Dict& d, RenderState& state) {
  std::vector<Value> items;
  items.reserve(d.entries.size());
  for (const auto& [key, value] : d.entries) {
    items.push_back(state.make_list({Value::string(key), value}));
  }
  return state.make_list(std::move(items));
}

Value dictsort(const Dict& d, const std::vector<Value>& args, RenderState& state) {
  std::vector<Value> positional;
  const Dict* kwargs = nullptr;
  for (const Value& a : args) {
    if (a.is(Kind::kKwargs)) {
      kwargs = &a.as_dict();
    } else {
      positional.push_back(a);
    }
  }
  auto option = [&](std::size_t i, std::string_view key, Value fallback) {
    if (i < positional.size()) return positional[i];
    if (kwargs != nullptr) {
      if (const Value* v = kwargs->find(key)) return *v;
    }
    return fallback;
  };
  Value case_sensitive = option(0, "case_sensitive", Value::boolean(false));
  if (!case_sensitive.is(Kind::kBool)) throw ValueError("case_sensitive must be a boolean");
  Value by = option(1, "by", Value::string("key"));
  if (!by.is_string()) throw ValueError("by must be a string");
  if (by.as_string() != "key" && by.as_string() != "value") {
    throw ValueError("by must be either 'key' or 'value'");
  }
  Value reverse = option(2, "reverse", Value::boolean(false));
  if (!reverse.is(Kind::kBool)) throw ValueError("reverse must be a boolean");
  Value items = pairs(d, state);
  std::size_t index = by.as_string() == "key" ? 0 : 1;
  auto& list = items.as_list().items;
  state.charge(list.size() * 4);
  std::stable_sort(list.begin(), list.end(), [&](const Value& a, const Value& b) {
    int c = compare_values(a.as_list().items[index], b.as_list().items[index],
                           case_sensitive.as_bool());
    return reverse.as_bool() ? c > 0 : c < 0;
  });
  return items;
}

}  // namespace

Value call_method(Method m, const Value& self, const std::vector<Value>& args, RenderState& state) {
  if (self.is_string()) {
    const std::string& s = self.as_string();
    switch (m) {
      case Method::kUpper:
        return state.make_string(js_upper(s));
      case Method::kLower:
        return state.make_string(js_lower(s));
      case Method::kStrip:
        return state.make_string(std::string(js_trim(s)));
      case Method::kTitle:
        return state.make_string(js_title(s));
      case Method::kCapitalize:
        return state.make_string(js_capitalize(s));
      case Method::kRstrip:
        return state.make_string(std::string(js_trim_end(s)));
      case Method::kLstrip:
        return state.make_string(std::string(js_trim_start(s)));
      case Method::kStartswith:
        return affix_test(s, args, true);
      case Method::kEndswith:
        return affix_test(s, args, false);
      case Method::kSplit:
        return split(s, args, state);
      case Method::kReplace:
        return replace(s, args, state);
      default:
        break;
    }
  } else if (self.is_object()) {
    const Dict& d = self.as_dict();
    switch (m) {
      case Method::kGet: {
        Value key = args.empty() ? Value() : args[0];
        if (!key.is_string()) {
          throw ValueError(std::string("Object key must be a string: got ") + type_name(key));
        }
        if (const Value* v = d.find(key.as_string())) return *v;
        return args.size() > 1 ? args[1] : Value::none();
      }
      case Method::kItems:
        return pairs(d, state);
      case Method::kKeys: {
        std::vector<Value> keys;
        for (const auto& [key, value] : d.entries) keys.push_back(Value::string(key));
        return state.make_list(std::move(keys));
      }
      case Method::kValues: {
        std::vector<Value> values;
        for (const auto& [key, value] : d.entries) values.push_back(value);
        return state.make_list(std::move(values));
      }
      case Method::kDictsort:
        return dictsort(d, args, state);
      default:
        break;
    }
  }
  throw ValueError(std::string("Cannot call something that is not a function: got UndefinedValue"));
}

}  // namespace odma::tokenizer::jinja
