#include "grammar/json_schema_compiler.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "grammar/grammar_graph.h"
#include "grammar/integer_range.h"
#include "grammar/json_text.h"
#include "grammar/regex_compiler.h"

namespace odma::grammar {

namespace {

using Json = nlohmann::ordered_json;

// Bounded repetition costs graph nodes per copy; larger bounds are refused rather than ignored.
constexpr std::int64_t kMaxCount = 4096;

const std::set<std::string>& annotations() {
  static const std::set<std::string> k = {
      "title",      "description", "default",   "examples", "$schema", "$id",        "$comment",
      "deprecated", "readOnly",    "writeOnly", "strict",   "$defs",   "definitions"};
  return k;
}
const std::set<std::string>& string_keywords() {
  static const std::set<std::string> k = {"minLength", "maxLength", "pattern", "format"};
  return k;
}
const std::set<std::string>& number_keywords() {
  static const std::set<std::string> k = {"minimum", "maximum", "exclusiveMinimum",
                                          "exclusiveMaximum"};
  return k;
}
const std::set<std::string>& object_keywords() {
  static const std::set<std::string> k = {"properties", "required", "additionalProperties"};
  return k;
}
const std::set<std::string>& array_keywords() {
  static const std::set<std::string> k = {"items", "prefixItems", "minItems", "maxItems"};
  return k;
}
const std::set<std::string>& other_keywords() {
  static const std::set<std::string> k = {"type",  "enum",  "const", "anyOf",
                                          "oneOf", "allOf", "$ref"};
  return k;
}

bool supported(const std::string& key) {
  return other_keywords().count(key) || string_keywords().count(key) ||
         number_keywords().count(key) || object_keywords().count(key) ||
         array_keywords().count(key);
}

std::string pointer_token(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string child(const std::string& path, const std::string& key) {
  return path + "/" + pointer_token(key);
}

// RFC 3339 shapes (and a conservative email) as regular expressions, matched whole. Sound rather
// than complete, so every value also passes validators that check the calendar (ajv-formats):
// days within their month (February to the 28th: the 29th would need the year's leap rule) and no
// leap second (valid only at 23:59:60 UTC).
const std::map<std::string, std::string>& formats() {
  static const std::string date =
      "[0-9]{4}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|"
      "02-(0[1-9]|1[0-9]|2[0-8]))";
  static const std::string time =
      "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?"  // hh:mm:ss[.frac]
      "(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])";                // zone
  static const std::map<std::string, std::string> k = {
      {"date", date},
      {"time", time},
      {"date-time", date + "T" + time},
      {"uuid", "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"},
      {"email",
       "[A-Za-z0-9_+-]+(\\.[A-Za-z0-9_+-]+)*@([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\\.)+"
       "[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"},
  };
  return k;
}

class Compiler {
 public:
  explicit Compiler(const Json& root) : root_(root) {}

  GrammarPtr compile() {
    std::int32_t start = ref_rule("", "");
    return b_.finish(start, [&](const std::vector<char>& productive) {
      const std::string* worst = nullptr;
      for (const auto& [rule, path] : rules_) {
        if (productive[static_cast<std::size_t>(rule)]) continue;
        if (!worst || path.size() > worst->size()) worst = &path;
      }
      std::string at = worst ? *worst : "";
      throw GrammarError(
          "no JSON value satisfies the schema at " + (at.empty() ? std::string("the root") : at),
          at);
    });
  }

 private:
  [[noreturn]] static void fail(const std::string& message, const std::string& path) {
    throw GrammarError(message, path);
  }

  // --- rules -------------------------------------------------------------------------------------

  std::int32_t rule_for(const Json& s, const std::string& path) {
    if (s.is_boolean() && s.get<bool>()) return text_.any_value();
    if (s.is_object() && s.contains("$ref")) {
      check_keywords(s, path);
      only_with(s, "$ref", {}, path);
      return ref_rule(ref_pointer(s["$ref"], child(path, "$ref")), child(path, "$ref"));
    }
    std::int32_t r = b_.declare_rule();
    rules_.emplace_back(r, path);
    b_.define_rule(r, body(s, path));
    return r;
  }

  std::string ref_pointer(const Json& ref, const std::string& path) {
    if (!ref.is_string()) fail("$ref must be a string", path);
    const std::string& r = ref.get_ref<const std::string&>();
    if (r.empty() || r[0] != '#') fail("only local $ref (\"#...\") is supported", path);
    return r.substr(1);
  }

  std::int32_t ref_rule(const std::string& pointer, const std::string& path) {
    if (auto it = refs_.find(pointer); it != refs_.end()) return it->second;
    const Json* target = &root_;
    if (!pointer.empty()) {
      try {
        Json::json_pointer jp(pointer);
        if (!root_.contains(jp)) fail("$ref target \"#" + pointer + "\" does not exist", path);
        target = &root_.at(jp);
      } catch (const nlohmann::json::exception&) {
        fail("$ref \"#" + pointer + "\" is not a JSON pointer", path);
      }
    }
    std::int32_t r = b_.declare_rule();
    refs_[pointer] = r;
    rules_.emplace_back(r, pointer);
    b_.define_rule(r, body(*target, pointer));
    return r;
  }

  // --- schema bodies -----------------------------------------------------------------------------

  void check_keywords(const Json& s, const std::string& path) {
    for (const auto& [key, value] : s.items()) {
      if (!annotations().count(key) && !supported(key)) {
        fail("unsupported JSON Schema keyword '" + key + "'", child(path, key));
      }
    }
  }

  // Refuses constraint keywords beside `key` other than `allowed`.
  void only_with(const Json& s, const std::string& key, const std::set<std::string>& allowed,
                 const std::string& path) {
    for (const auto& [other, value] : s.items()) {
      if (other == key || annotations().count(other) || allowed.count(other)) continue;
      fail("'" + other + "' beside '" + key + "' is not supported", child(path, other));
    }
  }

  Frag body(const Json& s, const std::string& path) {
    if (s.is_boolean()) return s.get<bool>() ? b_.call(text_.any_value()) : b_.dead();
    if (!s.is_object()) fail("a schema must be an object or a boolean", path);
    check_keywords(s, path);
    if (s.contains("$ref")) return b_.call(rule_for(s, path));
    if (s.contains("allOf")) {
      only_with(s, "allOf", {}, path);
      const Json& all = s["allOf"];
      if (!all.is_array() || all.size() != 1) {
        fail("allOf is supported with exactly one schema", child(path, "allOf"));
      }
      return b_.call(rule_for(all[0], child(child(path, "allOf"), "0")));
    }
    for (const char* key : {"anyOf", "oneOf"}) {  // oneOf is generated as anyOf
      if (!s.contains(key)) continue;
      only_with(s, key, {}, path);
      const Json& options = s[key];
      std::string at = child(path, key);
      if (!options.is_array() || options.empty())
        fail(std::string(key) + " must be a non-empty array", at);
      std::vector<Frag> alts;
      for (std::size_t i = 0; i < options.size(); ++i) {
        alts.push_back(b_.call(rule_for(options[i], child(at, std::to_string(i)))));
      }
      return b_.alt(alts);
    }
    std::vector<std::string> types = type_list(s, path);
    if (s.contains("enum") || s.contains("const")) return enum_values(s, types, path);
    if (types.empty()) return b_.call(text_.any_value());
    std::vector<Frag> alts;
    for (const std::string& t : types) alts.push_back(typed(t, s, path));
    return b_.alt(alts);
  }

  // The declared types, or those implied by the keywords present; empty: any value.
  std::vector<std::string> type_list(const Json& s, const std::string& path) {
    static const std::set<std::string> known = {"string", "number", "integer", "boolean",
                                                "null",   "object", "array"};
    std::vector<std::string> types;
    if (s.contains("type")) {
      const Json& t = s["type"];
      std::string at = child(path, "type");
      std::vector<Json> names = t.is_array() ? t.get<std::vector<Json>>() : std::vector<Json>{t};
      for (const Json& n : names) {
        if (!n.is_string() || !known.count(n.get<std::string>()))
          fail("unknown type " + n.dump(), at);
        types.push_back(n.get<std::string>());
      }
      if (types.empty()) types.push_back("");  // "type": [] — nothing
      return types;
    }
    if (s.contains("enum") || s.contains("const")) return types;
    auto any_of = [&](const std::set<std::string>& keys) {
      for (const std::string& k : keys) {
        if (s.contains(k)) return true;
      }
      return false;
    };
    if (any_of(string_keywords())) types.push_back("string");
    if (any_of(number_keywords())) types.push_back("number");
    if (any_of(object_keywords())) types.push_back("object");
    if (any_of(array_keywords())) types.push_back("array");
    return types;
  }

  static bool has_type(const Json& v, const std::string& t) {
    if (t == "string") return v.is_string();
    if (t == "number") return v.is_number();
    if (t == "integer") {
      return v.is_number_integer() ||
             (v.is_number_float() && std::trunc(v.get<double>()) == v.get<double>());
    }
    if (t == "boolean") return v.is_boolean();
    if (t == "null") return v.is_null();
    if (t == "object") return v.is_object();
    if (t == "array") return v.is_array();
    return false;
  }

  Frag enum_values(const Json& s, const std::vector<std::string>& types, const std::string& path) {
    const char* key = s.contains("const") ? "const" : "enum";
    only_with(s, key, {"type", "enum", "const"}, path);
    std::vector<Json> values;
    if (s.contains("const")) values.push_back(s["const"]);
    if (s.contains("enum")) {
      if (!s["enum"].is_array()) fail("enum must be an array", child(path, "enum"));
      std::vector<Json> e = s["enum"].get<std::vector<Json>>();
      if (s.contains("const")) {  // both: the const, if it is among the enum values
        if (std::find(e.begin(), e.end(), s["const"]) == e.end()) values.clear();
      } else {
        values = std::move(e);
      }
    }
    std::vector<std::string> texts;
    for (const Json& v : values) {
      bool ok = types.empty();
      for (const std::string& t : types) ok = ok || has_type(v, t);
      if (ok) texts.push_back(v.dump());
    }
    return b_.literal_set(texts);
  }

  Frag typed(const std::string& type, const Json& s, const std::string& path) {
    if (type == "string") return string_schema(s, path);
    if (type == "integer") return integer_schema(s, path);
    if (type == "number") return number_schema(s, path);
    if (type == "boolean") return b_.literal_set({"true", "false"});
    if (type == "null") return b_.literal("null");
    if (type == "object") return object_schema(s, path);
    if (type == "array") return array_schema(s, path);
    return b_.dead();
  }

  std::int64_t count(const Json& s, const char* key, const std::string& path) {
    const Json& v = s[key];
    if (!v.is_number_integer() || v.get<std::int64_t>() < 0) {
      fail(std::string(key) + " must be a non-negative integer", child(path, key));
    }
    return v.get<std::int64_t>();
  }

  // --- strings -----------------------------------------------------------------------------------

  Frag string_schema(const Json& s, const std::string& path) {
    bool has_pattern = s.contains("pattern"), has_format = s.contains("format");
    if (has_pattern || has_format) {
      const char* key = has_pattern ? "pattern" : "format";
      std::string at = child(path, key);
      if (has_pattern && has_format)
        fail("pattern together with format is not supported", child(path, "format"));
      for (const char* len : {"minLength", "maxLength"}) {
        if (s.contains(len))
          fail(std::string(len) + " together with " + key + " is not supported", child(path, len));
      }
      if (!s[key].is_string()) fail(std::string(key) + " must be a string", at);
      std::string source = s[key].get<std::string>();
      if (has_format) {
        auto it = formats().find(source);
        if (it == formats().end()) fail("unsupported format '" + source + "'", at);
        source = it->second;
      }
      RegexOptions o;
      o.json_string = true;
      o.unanchored = has_pattern;
      return b_.seq({b_.literal("\""), compile_regex(b_, source, o, at), b_.literal("\"")});
    }
    if (!s.contains("minLength") && !s.contains("maxLength")) return b_.call(text_.any_string());
    std::int64_t min = s.contains("minLength") ? count(s, "minLength", path) : 0;
    std::int64_t max = s.contains("maxLength") ? count(s, "maxLength", path) : -1;
    for (auto [v, key] : {std::pair{min, "minLength"}, std::pair{max, "maxLength"}}) {
      if (v > kMaxCount)
        fail(std::string(key) + " above " + std::to_string(kMaxCount) + " is not supported",
             child(path, key));
    }
    return b_.seq(
        {b_.literal("\""),
         b_.repeat([&] { return text_.json_char(); }, static_cast<int>(min), static_cast<int>(max)),
         b_.literal("\"")});
  }

  // --- numbers -----------------------------------------------------------------------------------

  // The lowest (is_low) or highest integer allowed by one bound keyword. Bounds are clamped into
  // the int64 range (which only narrows the output); a lower bound above it is refused.
  static std::int64_t integer_bound(const Json& v, bool is_low, bool exclusive,
                                    const std::string& path) {
    constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    long double r;
    if (v.is_number_unsigned()) {
      r = static_cast<long double>(v.get<std::uint64_t>());
    } else if (v.is_number_integer()) {
      r = static_cast<long double>(v.get<std::int64_t>());
    } else {
      long double d = v.get<double>();
      r = is_low ? std::ceil(d) : std::floor(d);
      exclusive = exclusive && r == d;  // exclusive 1.5: ceil already excludes it
    }
    if (exclusive) r += is_low ? 1 : -1;
    if (r > static_cast<long double>(kMax)) {
      if (is_low) fail("integer bounds beyond the int64 range are not supported", path);
      return kMax;
    }
    if (r < static_cast<long double>(kMin)) {
      if (!is_low) fail("integer bounds beyond the int64 range are not supported", path);
      return kMin;
    }
    if (v.is_number_integer()) {  // exact, without the long double round trip
      if (v.is_number_unsigned()) {
        auto u = v.get<std::uint64_t>();
        return static_cast<std::int64_t>(exclusive ? (is_low ? u + 1 : u - 1) : u);
      }
      auto i = v.get<std::int64_t>();
      return exclusive ? (is_low ? i + 1 : i - 1) : i;
    }
    return static_cast<std::int64_t>(r);
  }

  // The integers within the schema's bounds (nullopt: unbounded).
  std::pair<std::optional<std::int64_t>, std::optional<std::int64_t>> integer_bounds(
      const Json& s, const std::string& path) {
    std::optional<std::int64_t> lo, hi;
    for (const std::string& key : number_keywords()) {
      if (!s.contains(key)) continue;
      const Json& v = s[key];
      if (!v.is_number()) fail(key + " must be a number", child(path, key));
      bool is_low = key == "minimum" || key == "exclusiveMinimum";
      std::int64_t bound =
          integer_bound(v, is_low, key.rfind("exclusive", 0) == 0, child(path, key));
      if (is_low) {
        lo = lo ? std::max(*lo, bound) : bound;
      } else {
        hi = hi ? std::min(*hi, bound) : bound;
      }
    }
    return {lo, hi};
  }

  Frag integer_schema(const Json& s, const std::string& path) {
    auto [lo, hi] = integer_bounds(s, path);
    return integer_range(b_, lo, hi);
  }

  Frag number_schema(const Json& s, const std::string& path) {
    bool bounded = false;
    for (const std::string& key : number_keywords()) bounded = bounded || s.contains(key);
    if (!bounded) return text_.number(path);
    // Bounded numbers: the integers L..H in range, and I.ddd for integer parts I whose whole unit
    // interval lies inside [L, H] (no exponents). Sound, not complete: 0.5 is not offered for
    // "exclusiveMinimum": 0, since L is 1 there.
    auto [lo, hi] = integer_bounds(s, path);
    constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
    std::vector<Frag> options{integer_range(b_, lo, hi)};
    auto fraction = [&] {
      Frag d = b_.byte_range('0', '9');
      return b_.seq({b_.literal("."), d, b_.star(b_.byte_range('0', '9'))});
    };
    if (!hi || *hi != kMin) {
      std::int64_t pos_lo = lo ? std::max<std::int64_t>(*lo, 0) : 0;
      std::optional<std::int64_t> pos_hi;
      if (hi) pos_hi = *hi - 1;
      if (!pos_hi || *pos_hi >= pos_lo) {
        options.push_back(b_.seq({integer_range(b_, pos_lo, pos_hi), fraction()}));
      }
      std::int64_t neg_lo = hi && *hi < 0 ? -*hi : 0;  // magnitudes
      std::optional<std::int64_t> neg_hi;
      if (lo) neg_hi = -(*lo + 1);
      if (!neg_hi || *neg_hi >= neg_lo) {
        options.push_back(b_.seq({b_.literal("-"), integer_range(b_, neg_lo, neg_hi), fraction()}));
      }
    }
    return b_.alt(options);
  }

  // --- objects -----------------------------------------------------------------------------------

  Frag object_schema(const Json& s, const std::string& path) {
    struct Property {
      std::string name;
      const Json* schema;
      std::string path;
      bool required = false;
    };
    std::vector<Property> props;
    static const Json any = true;
    if (s.contains("properties")) {
      const Json& p = s["properties"];
      if (!p.is_object()) fail("properties must be an object", child(path, "properties"));
      for (const auto& [name, schema] : p.items()) {
        props.push_back({name, &schema, child(child(path, "properties"), name)});
      }
    }
    if (s.contains("required")) {
      const Json& r = s["required"];
      std::string at = child(path, "required");
      if (!r.is_array()) fail("required must be an array of strings", at);
      for (const Json& name : r) {
        if (!name.is_string()) fail("required must be an array of strings", at);
        auto it = std::find_if(props.begin(), props.end(),
                               [&](const Property& p) { return p.name == name; });
        if (it != props.end()) {
          it->required = true;
        } else {  // required but undeclared: any value
          props.push_back({name.get<std::string>(), &any, at, true});
        }
      }
    }
    const Json* extra = nullptr;
    if (s.contains("additionalProperties")) {
      const Json& a = s["additionalProperties"];
      if (!a.is_boolean() && !a.is_object())
        fail("additionalProperties must be a schema", child(path, "additionalProperties"));
      if (!(a.is_boolean() && !a.get<bool>())) extra = &a;
    } else if (props.empty()) {
      extra = &any;
    }
    if (props.empty() && extra) {
      return text_.free_object(rule_for(*extra, child(path, "additionalProperties")));
    }
    // Node at[i][f]: before property i; f: some property was written (a comma comes first).
    std::size_t n = props.size();
    std::vector<std::array<std::int32_t, 2>> at(n + 1);
    for (auto& a : at) a = {b_.add_node(), b_.add_node()};
    Frag open = b_.seq({b_.literal("{"), text_.ws()});
    Frag close = b_.literal("}");
    b_.link(open.end, at[0][0]);
    for (std::size_t i = 0; i < n; ++i) {
      std::int32_t value = rule_for(*props[i].schema, props[i].path);
      std::string key = Json(props[i].name).dump();
      for (int f = 0; f < 2; ++f) {
        if (!props[i].required) b_.link(at[i][f], at[i + 1][f]);
        std::vector<Frag> parts;
        if (f) parts = {b_.literal(","), text_.ws()};
        for (Frag p :
             {b_.literal(key), text_.ws(), b_.literal(":"), text_.ws(), b_.call(value), text_.ws()})
          parts.push_back(p);
        Frag piece = b_.seq(parts);
        b_.link(at[i][f], piece.start);
        b_.link(piece.end, at[i + 1][1]);
      }
    }
    for (int f = 0; f < 2; ++f) b_.link(at[n][f], close.start);
    if (extra) {  // extra keys after the declared ones, named unlike any of them
      std::int32_t value = rule_for(*extra, child(path, "additionalProperties"));
      std::vector<std::string> names;
      for (const Property& p : props) names.push_back(p.name);
      std::array<std::int32_t, 2> more = {b_.add_node(), b_.add_node()};
      for (int f = 0; f < 2; ++f) {
        b_.link(at[n][f], more[f]);
        std::vector<Frag> parts;
        if (f) parts = {b_.literal(","), text_.ws()};
        for (Frag p : {text_.key_except(names), text_.ws(), b_.literal(":"), text_.ws(),
                       b_.call(value), text_.ws()}) {
          parts.push_back(p);
        }
        Frag piece = b_.seq(parts);
        b_.link(more[f], piece.start);
        b_.link(piece.end, more[1]);
        b_.link(more[f], close.start);
      }
    }
    return Frag{open.start, close.end};
  }

  // --- arrays ------------------------------------------------------------------------------------

  Frag array_schema(const Json& s, const std::string& path) {
    std::vector<const Json*> prefix;
    if (s.contains("prefixItems")) {
      const Json& p = s["prefixItems"];
      if (!p.is_array()) fail("prefixItems must be an array", child(path, "prefixItems"));
      for (const Json& item : p) prefix.push_back(&item);
    }
    static const Json any = true;
    const Json& items = s.contains("items") ? s["items"] : any;
    if (!items.is_boolean() && !items.is_object())
      fail("items must be a schema", child(path, "items"));
    std::int64_t min = s.contains("minItems") ? count(s, "minItems", path) : 0;
    std::int64_t max = s.contains("maxItems") ? count(s, "maxItems", path) : -1;
    if (items.is_boolean() && !items.get<bool>()) {
      auto p = static_cast<std::int64_t>(prefix.size());
      max = max < 0 ? p : std::min(max, p);
    }
    if (max >= 0 && min > max) return b_.dead();
    std::int64_t chain = std::max<std::int64_t>(static_cast<std::int64_t>(prefix.size()), min);
    if (max < 0) chain = std::max<std::int64_t>(chain, 1);
    std::int64_t last = max < 0 ? chain : max;
    if (last > kMaxCount)
      fail("array bounds above " + std::to_string(kMaxCount) + " are not supported",
           child(path, max >= 0 ? "maxItems" : "minItems"));
    std::int32_t items_rule = -1;
    auto item_rule = [&](std::int64_t k) {
      if (k < static_cast<std::int64_t>(prefix.size())) {
        return rule_for(*prefix[static_cast<std::size_t>(k)],
                        child(child(path, "prefixItems"), std::to_string(k)));
      }
      if (items_rule < 0) items_rule = rule_for(items, child(path, "items"));
      return items_rule;
    };
    auto piece = [&](std::int64_t k) {
      std::vector<Frag> parts;
      if (k > 0) parts = {b_.literal(","), text_.ws()};
      parts.push_back(b_.call(item_rule(k)));
      parts.push_back(text_.ws());
      return b_.seq(parts);
    };
    Frag open = b_.seq({b_.literal("["), text_.ws()});
    Frag close = b_.literal("]");
    std::int32_t here = open.end;
    for (std::int64_t k = 0; k <= last; ++k) {
      if (k >= min) b_.link(here, close.start);
      if (k == last) {
        if (max < 0) {  // unbounded: the last piece loops
          Frag p = piece(k);
          b_.link(here, p.start);
          b_.link(p.end, here);
        }
        break;
      }
      Frag p = piece(k);
      b_.link(here, p.start);
      here = p.end;
    }
    return Frag{open.start, close.end};
  }

  const Json& root_;
  GraphBuilder b_;
  JsonText text_{b_};
  std::map<std::string, std::int32_t> refs_;
  std::vector<std::pair<std::int32_t, std::string>> rules_;  // compiled schemas and their paths
};

}  // namespace

GrammarPtr compile_json_schema(const nlohmann::ordered_json& schema) {
  return Compiler(schema).compile();
}

}  // namespace odma::grammar
