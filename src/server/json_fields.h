// Reading request bodies: raw text → JSON object, and typed reads of the fields odma knows.
//
// Each read of field `f` follows OpenAI and vLLM:
//   absent or null         → std::nullopt: the field's default applies
//   the right JSON type    → the value, checked against its range
//   anything else          → a 400 naming `f` in `param`; the first error is kept and every
//                            later read returns std::nullopt: read every field, then check ok()
// Integers must be JSON integers (10, not 10.0), as OpenAI's schema says; vLLM (pydantic, lax
// mode) would also take 10.0. Booleans must be true/false (not 0/1 or "true").
// Unknown fields are never looked at: they are ignored, as both OpenAI and vLLM do.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/openai_error.h"

namespace odma::server {

// Parses a request body. Not JSON (including ill-formed UTF-8, which nlohmann's parser rejects)
// or not an object → 400 with the parser's explanation.
[[nodiscard]] std::variant<nlohmann::json, ApiError> parse_json_object(std::string_view body);

// A closed or half-open range for number fields: "[0, 2]", "(0, 1]".
struct NumberRange {
  double lo;
  double hi;
  bool lo_open = false;  // lo itself is out of range
};

class JsonFields {
 public:
  // `object` must outlive the reader. `prefix` names it in params ("stream_options.").
  explicit JsonFields(const nlohmann::json& object, std::string prefix = "");

  // The field's value, or nullptr when it is absent or null.
  [[nodiscard]] const nlohmann::json* find(std::string_view name) const;
  // `prefix + name`: the field as `param` names it.
  [[nodiscard]] std::string param(std::string_view name) const;

  [[nodiscard]] std::optional<bool> boolean(std::string_view name);
  [[nodiscard]] std::optional<double> number(std::string_view name, NumberRange range);
  [[nodiscard]] std::optional<std::int64_t> integer(std::string_view name, std::int64_t lo,
                                                    std::int64_t hi);
  // Strings must be well-formed UTF-8 (a JSON value built in code may not be).
  [[nodiscard]] std::optional<std::string> string(std::string_view name);
  // The same for a value that is not a field of this object (an array element), named `param`.
  [[nodiscard]] std::optional<std::string> string_value(const nlohmann::json* v,
                                                        const std::string& param);

  // Records `e` unless an error is already recorded (the first one wins).
  void fail(ApiError e);
  [[nodiscard]] bool ok() const { return !error_.has_value(); }
  // Precondition: !ok().
  [[nodiscard]] const ApiError& error() const { return *error_; }

  // 400 "`name` must be <what>, got <JSON type>" for field `name`.
  void fail_type(std::string_view name, std::string_view what, const nlohmann::json& got);

 private:
  const nlohmann::json& object_;
  std::string prefix_;
  std::optional<ApiError> error_;
};

// A JSON array of token ids (integers in [0, 2^31 - 1]), e.g. a prompt given as ids. A bad element
// records a 400 in `fields` naming `param[i]`; the ids read so far are returned either way.
[[nodiscard]] std::vector<std::int32_t> read_token_ids(const nlohmann::json& array,
                                                       const std::string& param,
                                                       JsonFields& fields);

// "`name`": how messages quote a field.
[[nodiscard]] std::string backticked(std::string_view name);

// The JSON type as messages name it: "string", "number", "boolean", "array", "object", "null".
[[nodiscard]] std::string_view json_type(const nlohmann::json& j);

}  // namespace odma::server
