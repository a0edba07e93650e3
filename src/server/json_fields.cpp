#include "server/json_fields.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

#include "server/utf8.h"

namespace odma::server {
namespace {

// Shortest text that reads back as `v`: 2, 0.5, 1e+30.
std::string format_number(double v) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

std::string range_text(NumberRange r) {
  return (r.lo_open ? "(" : "[") + format_number(r.lo) + ", " + format_number(r.hi) + "]";
}

// What the client sent, for "got ..." in a message (bounded: the value may be a huge array).
std::string shown(const nlohmann::json& j) {
  std::string s = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  constexpr std::size_t kMax = 40;
  if (s.size() > kMax) s = s.substr(0, kMax) + "...";
  return to_valid_utf8(s);
}

}  // namespace

std::variant<nlohmann::json, ApiError> parse_json_object(std::string_view body) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception& e) {
    // parse_error, or out_of_range for a number beyond double ("1e400"). e.what() is
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." and may quote the
    // offending (possibly ill-formed) bytes.
    std::string what = e.what();
    if (const std::size_t pos = what.find("] "); pos != std::string::npos) what.erase(0, pos + 2);
    return bad_request("The request body is not valid JSON: " + to_valid_utf8(what));
  }
  if (!j.is_object()) {
    return bad_request("The request body must be a JSON object, got " + std::string(json_type(j)) +
                       ".");
  }
  return j;
}

JsonFields::JsonFields(const nlohmann::json& object, std::string prefix)
    : object_(object), prefix_(std::move(prefix)) {}

const nlohmann::json* JsonFields::find(std::string_view name) const {
  if (!object_.is_object()) return nullptr;
  const auto it = object_.find(name);
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string JsonFields::param(std::string_view name) const {
  return prefix_ + std::string(name);
}

void JsonFields::fail(ApiError e) {
  if (!error_) error_ = std::move(e);
}

void JsonFields::fail_type(std::string_view name, std::string_view what,
                           const nlohmann::json& got) {
  fail(bad_request(backticked(param(name)) + " must be " + std::string(what) + ", got " +
                       std::string(json_type(got)) + ".",
                   param(name)));
}

std::optional<bool> JsonFields::boolean(std::string_view name) {
  const nlohmann::json* v = ok() ? find(name) : nullptr;
  if (v == nullptr) return std::nullopt;
  if (!v->is_boolean()) {
    fail_type(name, "a boolean", *v);
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<double> JsonFields::number(std::string_view name, NumberRange range) {
  const nlohmann::json* v = ok() ? find(name) : nullptr;
  if (v == nullptr) return std::nullopt;
  if (!v->is_number()) {
    fail_type(name, "a number", *v);
    return std::nullopt;
  }
  const double x = v->get<double>();
  const bool above_lo = range.lo_open ? x > range.lo : x >= range.lo;
  if (!std::isfinite(x) || !above_lo || x > range.hi) {
    fail(bad_request(
        backticked(param(name)) + " must be in " + range_text(range) + ", got " + shown(*v) + ".",
        param(name)));
    return std::nullopt;
  }
  return x;
}

std::optional<std::int64_t> JsonFields::integer(std::string_view name, std::int64_t lo,
                                                std::int64_t hi) {
  const nlohmann::json* v = ok() ? find(name) : nullptr;
  if (v == nullptr) return std::nullopt;
  if (!v->is_number_integer()) {
    fail_type(name, "an integer", *v);
    return std::nullopt;
  }
  // nlohmann stores every non-negative literal as unsigned (and those above INT64_MAX only so).
  bool in_range = false;
  if (v->is_number_unsigned()) {
    const auto u = v->get<std::uint64_t>();
    in_range = hi >= 0 && u <= static_cast<std::uint64_t>(hi) &&
               (lo <= 0 || u >= static_cast<std::uint64_t>(lo));
  } else {
    const auto i = v->get<std::int64_t>();
    in_range = i >= lo && i <= hi;
  }
  if (!in_range) {
    const std::string range = "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    fail(bad_request(
        backticked(param(name)) + " must be an integer in " + range + ", got " + shown(*v) + ".",
        param(name)));
    return std::nullopt;
  }
  return v->get<std::int64_t>();
}

std::optional<std::string> JsonFields::string(std::string_view name) {
  return string_value(ok() ? find(name) : nullptr, param(name));
}

std::optional<std::string> JsonFields::string_value(const nlohmann::json* v,
                                                    const std::string& param) {
  if (!ok() || v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_string()) {
    fail(bad_request(
        backticked(param) + " must be a string, got " + std::string(json_type(*v)) + ".", param));
    return std::nullopt;
  }
  const auto& s = v->get_ref<const std::string&>();
  if (!is_valid_utf8(s)) {
    fail(bad_request(backticked(param) + " is not valid UTF-8.", param));
    return std::nullopt;
  }
  return s;
}

std::vector<std::int32_t> read_token_ids(const nlohmann::json& array, const std::string& param,
                                         JsonFields& fields) {
  constexpr auto kMaxId = static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max());
  std::vector<std::int32_t> ids;
  ids.reserve(array.size());
  for (std::size_t i = 0; i < array.size(); ++i) {
    const nlohmann::json& v = array[i];
    // Parsed non-negative literals are unsigned in nlohmann; values built in code may be signed.
    const bool is_id = v.is_number_unsigned()
                           ? v.get<std::uint64_t>() <= kMaxId
                           : v.is_number_integer() && v.get<std::int64_t>() >= 0 &&
                                 static_cast<std::uint64_t>(v.get<std::int64_t>()) <= kMaxId;
    if (!is_id) {
      const std::string at = param + "[" + std::to_string(i) + "]";
      fields.fail(bad_request(backticked(at) + " must be a token id (an integer in [0, " +
                                  std::to_string(kMaxId) + "]), got " + shown(v) + ".",
                              at));
      break;
    }
    ids.push_back(static_cast<std::int32_t>(v.get<std::int64_t>()));
  }
  return ids;
}

std::string backticked(std::string_view name) {
  return "`" + std::string(name) + "`";
}

std::string_view json_type(const nlohmann::json& j) {
  // nlohmann's type_name() says "number" for all three number kinds, as wanted here.
  return j.type_name();
}

}  // namespace odma::server
