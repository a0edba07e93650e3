// "alpaca" and "alpaca-vicuna": Alpaca prompts with their Qwen2 token counts (data/lengths) and
// either the reference output's length or Vicuna-7B's generated length (Sequence-Scheduling).
#include <algorithm>
#include <set>

#include "base/error.h"
#include "base/file_io.h"
#include "workload/dataset_loaders.h"
#include "workload/dataset_parse.h"

namespace odma::workload::detail {
namespace {

const std::string& string_field(const nlohmann::json& obj, const char* key,
                                const std::string& where) {
  // contains()+at() rather than find(): GCC 12 flags iterator derefs here as null dereferences.
  if (!obj.contains(key)) throw Error(where + ": missing field '" + key + "'");
  const nlohmann::json& v = obj.at(key);
  if (!v.is_string()) throw Error(where + ": field '" + std::string(key) + "' is not a string");
  return v.get_ref<const std::string&>();
}

std::int32_t to_i32(std::int64_t v) {
  return static_cast<std::int32_t>(v);
}

}  // namespace

Dataset load_alpaca() {
  const auto path = data_file(kAlpacaJson);
  const std::string file = path.string();
  const nlohmann::json doc = parse_json(read_file(path), file);
  if (!doc.is_array()) throw Error(file + ": expected a JSON list of {instruction, input, output}");

  // Columns: index, instruction_tokens, input_tokens, output_tokens (Qwen2, no special tokens).
  const auto lengths = read_int_table(
      kAlpacaLengths, '\t', {"index", "instruction_tokens", "input_tokens", "output_tokens"});
  if (lengths.size() != doc.size()) {
    throw Error(data_file(kAlpacaLengths).string() + ": " + std::to_string(lengths.size()) +
                " rows, but " + file + " has " + std::to_string(doc.size()) + " records");
  }

  Dataset d;
  d.name = "alpaca";
  d.length_unit = "qwen2 tokens";
  d.s3_max_output = 2048;
  d.records.reserve(doc.size());
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const std::string where = file + ": record " + std::to_string(i);
    const auto& obj = doc[i];
    if (!obj.is_object()) throw Error(where + ": not a JSON object");
    const auto& row = lengths[i];
    if (row[0] != static_cast<std::int64_t>(i)) {
      throw Error(data_file(kAlpacaLengths).string() + ": row " + std::to_string(i) +
                  " has index " + std::to_string(row[0]));
    }
    if (row[1] < 0 || row[2] < 0 || row[3] < 0) {
      throw Error(data_file(kAlpacaLengths).string() + ": row " + std::to_string(i) +
                  " has a negative token count");
    }
    Record r;
    r.index = static_cast<std::int64_t>(i);
    r.prompt = string_field(obj, "instruction", where);
    const std::string& input = string_field(obj, "input", where);
    if (!input.empty()) r.prompt += "\n" + input;
    (void)string_field(obj, "output", where);  // validated: the reference the lengths count
    r.prompt_tokens = to_i32(row[1] + row[2]);
    r.output_tokens = to_i32(row[3]);
    r.split = split_of(r.index);
    d.records.push_back(std::move(r));
  }
  return d;
}

Dataset load_alpaca_vicuna(const Dataset& alpaca) {
  Dataset d;
  d.name = "alpaca-vicuna";
  d.length_unit = "llama tokens, capped at 512";
  d.s3_max_output = kVicunaCap;
  std::set<std::int64_t> seen;
  for (const char* relative : kVicunaLengths) {
    const auto path = data_file(relative);
    const std::string file = path.string();
    const nlohmann::json doc = parse_json(read_file(path), file);
    if (!doc.is_array()) throw Error(file + ": expected a JSON list of {id, L_gt, L_t0.0, ...}");
    for (std::size_t k = 0; k < doc.size(); ++k) {
      const std::string where = file + ": record " + std::to_string(k);
      const auto& obj = doc[k];
      if (!obj.is_object()) throw Error(where + ": not a JSON object");
      if (!obj.contains("id")) throw Error(where + ": missing field 'id'");
      if (!obj.contains("L_t0.0")) throw Error(where + ": missing field 'L_t0.0'");
      const nlohmann::json& id_v = obj.at("id");
      const nlohmann::json& len_v = obj.at("L_t0.0");
      // The id is the 1-based Alpaca index, stored as a string ("5") upstream.
      std::int64_t id = 0;
      if (id_v.is_string()) {
        id = parse_int(id_v.get_ref<const std::string&>(), where + " (id)", 1, INT32_MAX);
      } else if (id_v.is_number_integer()) {
        id = id_v.get<std::int64_t>();
      } else {
        throw Error(where + ": field 'id' is not an integer");
      }
      if (id < 1 || id > static_cast<std::int64_t>(alpaca.records.size())) {
        throw Error(where + ": id " + std::to_string(id) + " is outside Alpaca's 1.." +
                    std::to_string(alpaca.records.size()));
      }
      if (!len_v.is_number_integer() || len_v.get<std::int64_t>() < 0) {
        throw Error(where + ": field 'L_t0.0' is not a non-negative integer");
      }
      if (!seen.insert(id).second) throw Error(where + ": duplicate id " + std::to_string(id));
      Record r = alpaca.records[static_cast<std::size_t>(id - 1)];
      r.output_tokens =
          static_cast<std::int32_t>(std::min<std::int64_t>(len_v.get<std::int64_t>(), kVicunaCap));
      d.records.push_back(std::move(r));
    }
  }
  std::sort(d.records.begin(), d.records.end(),
            [](const Record& a, const Record& b) { return a.index < b.index; });
  return d;
}

}  // namespace odma::workload::detail
