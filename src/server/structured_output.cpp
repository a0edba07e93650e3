#include "server/structured_output.h"

#include <algorithm>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "base/lru_map.h"

namespace odma::server {
namespace {

// What one field asks for, before compiling.
struct Ask {
  std::string field;  // how the 400s name it ("response_format.json_schema.schema")
  enum class Kind { kJsonSchema, kJsonObject, kRegex, kChoice } kind;
  const nlohmann::json* value = nullptr;  // the schema, pattern or choice list
};

// Compiled grammars by their text, most recently used kept.
class GrammarCache {
 public:
  grammar::GrammarPtr get(const std::string& key,
                          const std::function<grammar::GrammarPtr()>& build) {
    {
      std::lock_guard lock(mu_);
      if (const grammar::GrammarPtr* hit = grammars_.get(key)) return *hit;
    }
    grammar::GrammarPtr g = build();  // outside the lock: compiling may take milliseconds
    std::lock_guard lock(mu_);
    if (const grammar::GrammarPtr* hit = grammars_.get(key)) return *hit;  // built meanwhile
    grammars_.put(key, g);
    return g;
  }

 private:
  std::mutex mu_;
  LruMap<grammar::GrammarPtr> grammars_{kGrammarCacheEntries};
};

// response_format: {"type": "text" | "json_object" | "json_schema", "json_schema": {...}}.
void read_response_format(JsonFields& f, std::vector<Ask>& asks) {
  const nlohmann::json* format = f.ok() ? f.find("response_format") : nullptr;
  if (format == nullptr) return;
  if (!format->is_object()) return f.fail_type("response_format", "an object", *format);
  JsonFields ff(*format, "response_format.");
  const std::optional<std::string> type = ff.string("type");
  if (!ff.ok()) return f.fail(ff.error());
  if (!type)
    return f.fail(bad_request("`response_format.type` is required.", "response_format.type"));
  if (*type == "text") return;
  if (*type == "json_object") {
    asks.push_back({"response_format", Ask::Kind::kJsonObject, nullptr});
    return;
  }
  if (*type != "json_schema") {
    return f.fail(
        bad_request("`response_format.type` must be \"text\", \"json_object\" or "
                    "\"json_schema\", got \"" +
                        *type + "\".",
                    "response_format.type"));
  }
  const nlohmann::json* spec = ff.find("json_schema");
  if (spec == nullptr) {
    return f.fail(
        bad_request("`response_format.json_schema` is required with type "
                    "\"json_schema\".",
                    "response_format.json_schema"));
  }
  if (!spec->is_object()) return f.fail_type("response_format.json_schema", "an object", *spec);
  JsonFields sf(*spec, "response_format.json_schema.");
  (void)sf.string("name");     // OpenAI requires it; vLLM does not: checked only for its type
  (void)sf.boolean("strict");  // the output follows the schema either way
  (void)sf.string("description");
  if (!sf.ok()) return f.fail(sf.error());
  const nlohmann::json* schema = sf.find("schema");
  if (schema == nullptr) {
    return f.fail(bad_request("`response_format.json_schema.schema` is required.",
                              "response_format.json_schema.schema"));
  }
  asks.push_back({"response_format.json_schema.schema", Ask::Kind::kJsonSchema, schema});
}

// vLLM's structured_outputs object and its older guided_* fields.
void read_vllm_fields(JsonFields& f, std::vector<Ask>& asks) {
  const auto read = [&](JsonFields& fields, const std::string& prefix, const char* json,
                        const char* regex, const char* choice, const char* grammar) {
    if (const nlohmann::json* v = fields.find(json))
      asks.push_back({prefix + json, Ask::Kind::kJsonSchema, v});
    if (const nlohmann::json* v = fields.find(regex)) {
      if (!v->is_string()) return fields.fail_type(regex, "a string", *v);
      asks.push_back({prefix + regex, Ask::Kind::kRegex, v});
    }
    if (const nlohmann::json* v = fields.find(choice)) {
      if (!v->is_array() || v->empty())
        return fields.fail_type(choice, "a non-empty array of strings", *v);
      for (const nlohmann::json& c : *v)
        if (!c.is_string()) return fields.fail_type(choice, "a non-empty array of strings", *v);
      asks.push_back({prefix + choice, Ask::Kind::kChoice, v});
    }
    if (fields.find(grammar) != nullptr)
      fields.fail(not_supported("An EBNF grammar (`" + prefix + grammar + "`)", prefix + grammar));
  };
  if (const nlohmann::json* so = f.ok() ? f.find("structured_outputs") : nullptr) {
    if (!so->is_object()) return f.fail_type("structured_outputs", "an object", *so);
    JsonFields sf(*so, "structured_outputs.");
    read(sf, "structured_outputs.", "json", "regex", "choice", "grammar");
    if (sf.ok() && sf.boolean("json_object").value_or(false))
      asks.push_back({"structured_outputs.json_object", Ask::Kind::kJsonObject, nullptr});
    if (sf.ok() && sf.find("structural_tag") != nullptr)
      sf.fail(not_supported("`structured_outputs.structural_tag`",
                            "structured_outputs.structural_tag"));
    if (!sf.ok()) return f.fail(sf.error());
  }
  if (f.ok()) read(f, "", "guided_json", "guided_regex", "guided_choice", "guided_grammar");
}

// The value at `field` ("response_format.json_schema.schema") in the key-ordered body.
const nlohmann::ordered_json* in_order(const nlohmann::ordered_json* body,
                                       const std::string& field) {
  for (std::size_t start = 0; body != nullptr && start <= field.size();) {
    const std::size_t dot = std::min(field.find('.', start), field.size());
    const std::string key = field.substr(start, dot - start);
    body = body->is_object() && body->contains(key) ? &(*body)[key] : nullptr;
    start = dot + 1;
  }
  return body;
}

grammar::GrammarPtr compile(const Ask& a, const nlohmann::ordered_json* ordered_body) {
  switch (a.kind) {
    case Ask::Kind::kJsonObject:
      return cached_grammar("json_object", [] { return grammar::any_json_object(); });
    case Ask::Kind::kJsonSchema: {
      // A schema given as a JSON string (vLLM's guided_json accepts both) is parsed in order.
      if (a.value->is_string()) {
        const auto& text = a.value->get_ref<const std::string&>();
        return cached_grammar("schema-text:" + text,
                              [&] { return grammar::json_schema_text(text); });
      }
      const nlohmann::ordered_json* ordered = in_order(ordered_body, a.field);
      const nlohmann::ordered_json schema =
          ordered != nullptr ? *ordered : nlohmann::ordered_json::parse(a.value->dump());
      return cached_grammar("schema:" + schema.dump(),
                            [&] { return grammar::json_schema_ordered(schema); });
    }
    case Ask::Kind::kRegex: {
      const auto pattern = a.value->get<std::string>();
      return cached_grammar("regex:" + pattern, [&] { return grammar::regex(pattern); });
    }
    case Ask::Kind::kChoice: {
      const auto options = a.value->get<std::vector<std::string>>();
      return cached_grammar("choice:" + a.value->dump(), [&] { return grammar::choice(options); });
    }
  }
  return nullptr;
}

}  // namespace

grammar::GrammarPtr cached_grammar(const std::string& key,
                                   const std::function<grammar::GrammarPtr()>& build) {
  static GrammarCache cache;
  return cache.get(key, build);
}

grammar::GrammarPtr read_structured_output(JsonFields& f,
                                           const nlohmann::ordered_json* ordered_body) {
  std::vector<Ask> asks;
  read_response_format(f, asks);
  if (f.ok()) read_vllm_fields(f, asks);
  if (!f.ok() || asks.empty()) return nullptr;
  if (asks.size() > 1) {
    f.fail(bad_request("Only one kind of structured output may be asked for; got `" +
                           asks[0].field + "` and `" + asks[1].field + "`.",
                       asks[1].field));
    return nullptr;
  }
  try {
    return compile(asks[0], ordered_body);
  } catch (const grammar::GrammarError& e) {
    const std::string at = e.path().empty() ? "" : " (at " + e.path() + ")";
    f.fail(bad_request(backticked(asks[0].field) + ": " + e.what() + at, asks[0].field));
  } catch (const odma::Error& e) {
    f.fail(bad_request(backticked(asks[0].field) + ": " + e.what(), asks[0].field));
  } catch (const nlohmann::json::exception& e) {  // a guided_json string that is not JSON
    f.fail(bad_request(backticked(asks[0].field) + " is not a JSON Schema: " + e.what(),
                       asks[0].field));
  }
  return nullptr;
}

}  // namespace odma::server
