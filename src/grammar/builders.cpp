// The public builders of grammar.h.
#include <nlohmann/json.hpp>

#include "grammar/grammar_graph.h"
#include "grammar/json_schema_compiler.h"
#include "grammar/regex_compiler.h"

namespace odma::grammar {

namespace {

void check(const GrammarPtr& g, const char* what) {
  if (!g) throw GrammarError(std::string(what) + ": null grammar", "");
}

// A call of each grammar, imported into `b` (sequence and alternatives join them).
std::vector<Frag> import_calls(GraphBuilder& b, const std::vector<GrammarPtr>& grammars,
                               const char* what) {
  std::vector<Frag> calls;
  for (const GrammarPtr& g : grammars) {
    check(g, what);
    calls.push_back(b.call(b.import(*g)));
  }
  return calls;
}

}  // namespace

GrammarPtr json_schema(const nlohmann::json& schema) {
  return compile_json_schema(nlohmann::ordered_json::parse(schema.dump()));
}

GrammarPtr json_schema_ordered(const nlohmann::ordered_json& schema) {
  return compile_json_schema(schema);
}

GrammarPtr json_schema_text(std::string_view schema_json) {
  nlohmann::ordered_json schema;
  try {
    schema = nlohmann::ordered_json::parse(schema_json);
  } catch (const nlohmann::json::exception& e) {
    throw GrammarError(std::string("schema is not valid JSON: ") + e.what(), "");
  }
  return compile_json_schema(schema);
}

GrammarPtr any_json_object() {
  return compile_json_schema({{"type", "object"}});
}

GrammarPtr any_json_value() {
  return compile_json_schema(nlohmann::ordered_json(true));
}

GrammarPtr regex(std::string_view pattern) {
  GraphBuilder b;
  std::int32_t start = b.rule(compile_regex(b, pattern, RegexOptions{}, ""));
  return b.finish(start, [&](const std::vector<char>&) {
    throw GrammarError("regular expression /" + std::string(pattern) + "/ matches nothing", "");
  });
}

GrammarPtr choice(const std::vector<std::string>& options) {
  if (options.empty()) throw GrammarError("choice needs at least one option", "");
  GraphBuilder b;
  return b.finish(b.rule(b.literal_set(options)));
}

GrammarPtr literal(std::string text) {
  GraphBuilder b;
  return b.finish(b.rule(b.literal(text)));
}

GrammarPtr sequence(const std::vector<GrammarPtr>& parts) {
  GraphBuilder b;
  return b.finish(b.rule(b.seq(import_calls(b, parts, "sequence"))));
}

GrammarPtr alternatives(const std::vector<GrammarPtr>& options) {
  if (options.empty()) throw GrammarError("alternatives needs at least one option", "");
  GraphBuilder b;
  return b.finish(b.rule(b.alt(import_calls(b, options, "alternatives"))));
}

GrammarPtr repeat(GrammarPtr item, int min, int max, std::string separator) {
  check(item, "repeat");
  if (min < 0 || (max >= 0 && max < min) || max < -1) {
    throw GrammarError("repeat bounds must satisfy 0 <= min <= max (or max = -1)", "");
  }
  GraphBuilder b;
  std::int32_t rule = b.import(*item);
  Frag body = b.empty();
  if (max != 0) {
    // item (separator item){min-1, max-1}, optional as a whole when min is 0.
    Frag rest = b.repeat(
        [&] {
          return b.seq({b.literal(separator), b.call(rule)});
        },
        std::max(min - 1, 0), max < 0 ? -1 : max - 1);
    body = b.seq({b.call(rule), rest});
    if (min == 0) body = b.optional(body);
  }
  return b.finish(b.rule(body));
}

}  // namespace odma::grammar
