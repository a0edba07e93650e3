#include "workload/dataset_parse.h"

#include <algorithm>
#include <charconv>

#include "base/error.h"
#include "base/file_io.h"

namespace odma::workload::detail {

std::size_t line_of(std::string_view text, std::size_t byte) {
  byte = std::min(byte, text.size());
  return 1 + static_cast<std::size_t>(
                 std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(byte), '\n'));
}

nlohmann::json parse_json(const std::string& text, const std::string& file) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based and points just past the offending character.
    std::size_t at = e.byte > 0 ? e.byte - 1 : 0;
    throw Error(file + ":" + std::to_string(line_of(text, at)) + ": malformed JSON (" + e.what() +
                ")");
  } catch (const nlohmann::json::exception& e) {  // out_of_range: a number beyond double (1e999)
    throw Error(file + ": malformed JSON (" + e.what() + ")");
  }
}

std::int64_t parse_int(std::string_view field, const std::string& where, std::int64_t lo,
                       std::int64_t hi) {
  std::int64_t v = 0;
  const char* first = field.data();
  const char* last = field.data() + field.size();
  auto [ptr, ec] = std::from_chars(first, last, v);
  if (field.empty() || ec != std::errc() || ptr != last) {
    throw Error(where + ": not an integer: '" + std::string(field) + "'");
  }
  if (v < lo || v > hi) {
    throw Error(where + ": " + std::to_string(v) + " is outside [" + std::to_string(lo) + ", " +
                std::to_string(hi) + "]");
  }
  return v;
}

std::int64_t json_int_field(const nlohmann::json& obj, const char* key, const std::string& where,
                            std::int64_t lo, std::int64_t hi) {
  // contains()+at() rather than find(): GCC 12 flags iterator derefs as null dereferences.
  if (!obj.contains(key)) throw Error(where + ": missing field '" + key + "'");
  const nlohmann::json& v = obj.at(key);
  const std::string field = "field '" + std::string(key) + "'";
  if (!v.is_number_integer()) throw Error(where + ": " + field + " is not an integer");
  // An unsigned value past int64 is out of every range we use.
  const bool huge =
      v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX);
  const std::int64_t n = huge ? INT64_MAX : v.get<std::int64_t>();
  if (huge || n < lo || n > hi) {
    throw Error(where + ": " + field + " is " + v.dump() + ", outside [" + std::to_string(lo) +
                ", " + std::to_string(hi) + "]");
  }
  return n;
}

std::vector<std::uint64_t> json_id_list(const nlohmann::json& obj, const char* key,
                                        const std::string& where) {
  if (!obj.contains(key)) throw Error(where + ": missing field '" + key + "'");
  const nlohmann::json& v = obj.at(key);
  if (!v.is_array()) throw Error(where + ": field '" + std::string(key) + "' is not an array");
  std::vector<std::uint64_t> ids;
  ids.reserve(v.size());
  for (const nlohmann::json& id : v) {
    // Parsed text stores non-negative integers as unsigned, but "-0" is a signed 0.
    const bool ok =
        id.is_number_unsigned() || (id.is_number_integer() && id.get<std::int64_t>() >= 0);
    if (!ok) {
      throw Error(where + ": field '" + std::string(key) + "' holds " + id.dump() +
                  " (ids are non-negative integers)");
    }
    ids.push_back(id.is_number_unsigned() ? id.get<std::uint64_t>()
                                          : static_cast<std::uint64_t>(id.get<std::int64_t>()));
  }
  return ids;
}

std::vector<std::string_view> split_fields(std::string_view line, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t end = line.find(sep, start);
    if (end == std::string_view::npos) {
      out.push_back(line.substr(start));
      return out;
    }
    out.push_back(line.substr(start, end - start));
    start = end + 1;
  }
}

std::vector<std::vector<std::int64_t>> read_int_table(const std::string& relative_data_path,
                                                      char sep,
                                                      const std::vector<std::string>& header) {
  const auto path = data_file(relative_data_path);
  return parse_int_table(read_file(path), path.string(), sep, header);
}

std::vector<std::vector<std::int64_t>> parse_int_table(const std::string& text,
                                                       const std::string& file, char sep,
                                                       const std::vector<std::string>& header) {
  std::vector<std::vector<std::int64_t>> rows;
  bool seen_header = false;
  for_each_line(text, [&](std::string_view line, std::size_t number) {
    const std::string where = file + ":" + std::to_string(number);
    if (line.empty()) return;
    auto fields = split_fields(line, sep);
    if (!seen_header) {
      std::vector<std::string> got(fields.begin(), fields.end());
      if (got != header) throw Error(where + ": unexpected header '" + std::string(line) + "'");
      seen_header = true;
      return;
    }
    if (fields.size() != header.size()) {
      throw Error(where + ": expected " + std::to_string(header.size()) + " fields, found " +
                  std::to_string(fields.size()));
    }
    std::vector<std::int64_t> row;
    row.reserve(fields.size());
    for (std::size_t c = 0; c < fields.size(); ++c) {
      row.push_back(parse_int(fields[c], where + " (" + header[c] + ")", INT32_MIN, INT32_MAX));
    }
    rows.push_back(std::move(row));
  });
  if (!seen_header) throw Error(file + ": empty file (no header)");
  return rows;
}

nlohmann::json parse_json_object_line(std::string_view line, const std::string& where) {
  nlohmann::json obj;
  try {
    obj = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for 1e999
    throw Error(where + ": malformed JSON (" + e.what() + ")");
  }
  if (!obj.is_object()) throw Error(where + ": not a JSON object");
  return obj;
}

}  // namespace odma::workload::detail
