#include "workload/trace.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "base/error.h"
#include "base/file_io.h"
#include "workload/dataset_parse.h"
#include "workload/prefix_blocks.h"

namespace odma::workload {
namespace {

std::int32_t token_field(const nlohmann::json& obj, const char* key, const std::string& where) {
  // contains()+at() rather than find(): GCC 12 flags iterator derefs as null dereferences.
  if (!obj.contains(key)) throw Error(where + ": missing field '" + key + "'");
  const nlohmann::json* it = &obj.at(key);
  if (!it->is_number_integer())
    throw Error(where + ": field '" + std::string(key) + "' is not an integer");
  // Read signed even when nlohmann stored it unsigned, then range-check.
  const bool negative = it->is_number_unsigned() ? false : it->get<std::int64_t>() < 0;
  if (negative) throw Error(where + ": field '" + std::string(key) + "' is negative");
  const std::uint64_t v = it->is_number_unsigned()
                              ? it->get<std::uint64_t>()
                              : static_cast<std::uint64_t>(it->get<std::int64_t>());
  if (v == 0) throw Error(where + ": field '" + std::string(key) + "' is 0 (must be ≥ 1)");
  if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max())) {
    throw Error(where + ": field '" + std::string(key) + "' is too large");
  }
  return static_cast<std::int32_t>(v);
}

// The request's block size, or 0 when the line carries no blocks.
std::int32_t parse_blocks(const nlohmann::json& obj, TraceRequest& r, const std::string& where) {
  if (!obj.contains("prefix_blocks")) return 0;
  r.prefix_blocks = detail::json_id_list(obj, "prefix_blocks", where);
  const auto b = static_cast<std::int32_t>(detail::json_int_field(
      obj, "block_tokens", where, 1, std::numeric_limits<std::int32_t>::max()));
  const std::int64_t want = block_count(r.prompt_tokens, b);
  if (static_cast<std::int64_t>(r.prefix_blocks.size()) != want) {
    throw Error(where + ": prefix_blocks has " + std::to_string(r.prefix_blocks.size()) +
                " blocks, but prompt_tokens " + std::to_string(r.prompt_tokens) + " needs " +
                std::to_string(want) + " of " + std::to_string(b) + " tokens");
  }
  return b;
}

TraceRequest parse_request(std::string_view line, const std::string& where,
                           std::int32_t& block_tokens) {
  const nlohmann::json obj = detail::parse_json_object_line(line, where);
  TraceRequest r;
  if (!obj.contains("id")) throw Error(where + ": missing field 'id'");
  const nlohmann::json* id = &obj.at("id");
  if (!id->is_string() || id->get_ref<const std::string&>().empty()) {
    throw Error(where + ": field 'id' is not a non-empty string");
  }
  r.id = id->get<std::string>();
  if (obj.contains("prompt")) {
    const nlohmann::json* p = &obj.at("prompt");
    if (!p->is_string()) throw Error(where + ": field 'prompt' is not a string");
    r.prompt = p->get<std::string>();
  }
  r.prompt_tokens = token_field(obj, "prompt_tokens", where);
  r.output_tokens = token_field(obj, "output_tokens", where);
  if (obj.contains("arrival_s")) {
    const nlohmann::json* a = &obj.at("arrival_s");
    if (!a->is_number()) throw Error(where + ": field 'arrival_s' is not a number");
    r.arrival_s = a->get<double>();
    if (!std::isfinite(r.arrival_s) || r.arrival_s < 0) {
      throw Error(where + ": field 'arrival_s' must be finite and ≥ 0");
    }
  }
  block_tokens = parse_blocks(obj, r, where);
  return r;
}

void sort_by_arrival(Trace& t) {
  std::stable_sort(
      t.requests.begin(), t.requests.end(),
      [](const TraceRequest& a, const TraceRequest& b) { return a.arrival_s < b.arrival_s; });
}

}  // namespace

Trace parse_trace(const std::string& text, const std::string& source) {
  Trace t;
  t.name = std::filesystem::path(source).stem().string();
  std::unordered_set<std::string> ids;
  detail::for_each_line(text, [&](std::string_view line, std::size_t number) {
    if (line.find_first_not_of(" \t") == std::string_view::npos) return;  // blank lines are allowed
    const std::string where = source + ":" + std::to_string(number);
    std::int32_t block_tokens = 0;
    TraceRequest r = parse_request(line, where, block_tokens);
    if (!ids.insert(r.id).second) throw Error(where + ": duplicate id '" + r.id + "'");
    if (block_tokens != 0 && t.block_tokens != 0 && block_tokens != t.block_tokens) {
      throw Error(where + ": block_tokens " + std::to_string(block_tokens) +
                  " differs from the earlier lines' " + std::to_string(t.block_tokens) +
                  " (one block size per trace)");
    }
    if (block_tokens != 0) t.block_tokens = block_tokens;
    t.requests.push_back(std::move(r));
  });
  sort_by_arrival(t);
  return t;
}

Trace read_trace(const std::filesystem::path& path) {
  Trace t = parse_trace(read_file(path), path.string());
  t.name = path.stem().string();
  return t;
}

std::string format_trace(const Trace& trace) {
  std::string out;
  for (const TraceRequest& r : trace.requests) {
    nlohmann::ordered_json obj;
    obj["id"] = r.id;
    if (!r.prompt.empty()) obj["prompt"] = r.prompt;
    obj["prompt_tokens"] = r.prompt_tokens;
    obj["output_tokens"] = r.output_tokens;
    obj["arrival_s"] = r.arrival_s;
    if (!r.prefix_blocks.empty()) {
      obj["block_tokens"] = trace.block_tokens;
      obj["prefix_blocks"] = r.prefix_blocks;
    }
    // Invalid UTF-8 in a prompt is replaced (U+FFFD) rather than aborting the whole trace.
    out += obj.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out += '\n';
  }
  return out;
}

void write_trace(const Trace& trace, const std::filesystem::path& path) {
  validate_trace(trace);
  write_file(path, format_trace(trace));
}

void validate_trace(const Trace& trace) {
  std::unordered_set<std::string> ids;
  for (std::size_t i = 0; i < trace.requests.size(); ++i) {
    const TraceRequest& r = trace.requests[i];
    const std::string where =
        "trace '" + trace.name + "' request " + std::to_string(i) + " ('" + r.id + "')";
    if (r.id.empty()) throw Error(where + ": empty id");
    if (!ids.insert(r.id).second) throw Error(where + ": duplicate id");
    if (r.prompt_tokens < 1) throw Error(where + ": prompt_tokens must be ≥ 1");
    if (r.output_tokens < 1) throw Error(where + ": output_tokens must be ≥ 1");
    if (!std::isfinite(r.arrival_s) || r.arrival_s < 0)
      throw Error(where + ": arrival_s must be finite and ≥ 0");
    if (r.prefix_blocks.empty()) continue;
    if (trace.block_tokens < 1) throw Error(where + ": has prefix blocks but block_tokens < 1");
    if (static_cast<std::int64_t>(r.prefix_blocks.size()) !=
        block_count(r.prompt_tokens, trace.block_tokens)) {
      throw Error(where + ": " + std::to_string(r.prefix_blocks.size()) + " prefix blocks of " +
                  std::to_string(trace.block_tokens) + " tokens do not fit prompt_tokens " +
                  std::to_string(r.prompt_tokens));
    }
  }
}

Trace records_trace(const Dataset& dataset, const std::vector<Record>& records) {
  Trace t;
  t.name = dataset.name;
  t.requests.reserve(records.size());
  for (const Record& rec : records) {
    TraceRequest r;
    r.id = dataset.name + "-" + std::to_string(rec.index);
    r.prompt = rec.prompt;
    r.prompt_tokens = std::max<std::int32_t>(1, rec.prompt_tokens);
    r.output_tokens = std::max<std::int32_t>(1, rec.output_tokens);
    t.requests.push_back(std::move(r));
  }
  return t;
}

Trace dataset_trace(const std::string& dataset_name, std::optional<Split> split) {
  const Dataset d = load_dataset(dataset_name);
  Trace t = split ? records_trace(d, d.split(*split)) : records_trace(d, d.records);
  t.name = dataset_name + "-" + (split ? split_name(*split) : "all");
  return t;
}

Trace dataset_trace(const std::string& dataset_name) {
  return dataset_trace(dataset_name, Split::kTest);
}

}  // namespace odma::workload
