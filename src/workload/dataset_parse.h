// Strict parsing helpers shared by the dataset, trace and workload loaders: every failure is an
// odma::Error that names the file and the line (or record) at fault.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace odma::workload::detail {

// 1-based line number of byte offset `byte` in `text`.
std::size_t line_of(std::string_view text, std::size_t byte);

// Parses a whole JSON document; a syntax error names `file` and the line.
nlohmann::json parse_json(const std::string& text, const std::string& file);

// One JSONL line that must be a JSON object; errors read "<where>: malformed JSON (...)" or
// "<where>: not a JSON object".
nlohmann::json parse_json_object_line(std::string_view line, const std::string& where);

// Whole-string base-10 integer in [lo, hi]; nullopt-free: throws odma::Error "<where>: <what>".
std::int64_t parse_int(std::string_view field, const std::string& where, std::int64_t lo,
                       std::int64_t hi);

// obj[key] as an integer in [lo, hi]; errors read "<where>: missing field 'key'", "...: field
// 'key' is not an integer" or "...: field 'key' is N, outside [lo, hi]".
std::int64_t json_int_field(const nlohmann::json& obj, const char* key, const std::string& where,
                            std::int64_t lo, std::int64_t hi);

// obj[key] as a list of ids (non-negative integers); errors name `where` and the field.
std::vector<std::uint64_t> json_id_list(const nlohmann::json& obj, const char* key,
                                        const std::string& where);

// Splits on `sep` (no quoting: the shipped CSV/TSV files have none).
std::vector<std::string_view> split_fields(std::string_view line, char sep);

// Calls fn(line, line_number) for each line (without '\n' or a trailing '\r'), 1-based.
template <typename Fn>
void for_each_line(std::string_view text, Fn&& fn) {
  std::size_t number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    fn(line, ++number);
    start = end + 1;
  }
}

// A table of integers with an exact header, e.g. data/lengths/alpaca.tsv. rows[i] has one value
// per header column. Throws on a wrong header, a wrong column count or a non-integer cell.
std::vector<std::vector<std::int64_t>> read_int_table(const std::string& relative_data_path,
                                                      char sep,
                                                      const std::vector<std::string>& header);
// The same on text; `file` names it in errors.
std::vector<std::vector<std::int64_t>> parse_int_table(const std::string& text,
                                                       const std::string& file, char sep,
                                                       const std::vector<std::string>& header);

}  // namespace odma::workload::detail
