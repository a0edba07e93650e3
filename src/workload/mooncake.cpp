// Mooncake's production trace (kvcache-ai/Mooncake, FAST'25 release): lengths, arrivals and the
// prompt's 512-token block hashes, the only shipped source with prefix sharing.
#include <algorithm>
#include <limits>

#include "base/error.h"
#include "base/file_io.h"
#include "workload/dataset_parse.h"
#include "workload/prefix_blocks.h"
#include "workload/workload.h"

namespace odma::workload {
namespace {

constexpr const char* kMooncakeConvJsonl = "traces/mooncake_conversation.jsonl";
constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();

}  // namespace

Trace parse_mooncake_trace(const std::string& text, const std::string& source) {
  Trace t;
  t.name = "mooncake-conv";
  t.block_tokens = kMooncakeBlockTokens;
  std::vector<std::int64_t> stamps_ms;
  detail::for_each_line(text, [&](std::string_view line, std::size_t number) {
    if (line.empty()) return;
    const std::string where = source + ":" + std::to_string(number);
    const nlohmann::json obj = detail::parse_json_object_line(line, where);
    stamps_ms.push_back(detail::json_int_field(obj, "timestamp", where, 0, INT64_MAX / 2));
    TraceRequest r;
    r.id = t.name + "-" + std::to_string(t.requests.size());
    r.prompt_tokens =
        static_cast<std::int32_t>(detail::json_int_field(obj, "input_length", where, 1, kInt32Max));
    r.output_tokens = static_cast<std::int32_t>(
        detail::json_int_field(obj, "output_length", where, 1, kInt32Max));
    r.prefix_blocks = detail::json_id_list(obj, "hash_ids", where);
    const std::int64_t want = block_count(r.prompt_tokens, kMooncakeBlockTokens);
    if (static_cast<std::int64_t>(r.prefix_blocks.size()) != want) {
      throw Error(where + ": hash_ids has " + std::to_string(r.prefix_blocks.size()) +
                  " blocks, but input_length " + std::to_string(r.prompt_tokens) + " needs " +
                  std::to_string(want) + " of " + std::to_string(kMooncakeBlockTokens) + " tokens");
    }
    t.requests.push_back(std::move(r));
  });
  if (t.requests.empty()) throw Error(source + ": no requests");
  for (std::size_t i = 0; i < stamps_ms.size(); ++i) {
    if (stamps_ms[i] < stamps_ms[0]) {
      throw Error(source + ": row " + std::to_string(i) +
                  " is earlier than the first row (the file must be in time order)");
    }
    t.requests[i].arrival_s = static_cast<double>(stamps_ms[i] - stamps_ms[0]) / 1000.0;
  }
  std::stable_sort(
      t.requests.begin(), t.requests.end(),
      [](const TraceRequest& a, const TraceRequest& b) { return a.arrival_s < b.arrival_s; });
  return t;
}

Trace mooncake_trace() {
  const auto path = data_file(kMooncakeConvJsonl);
  return parse_mooncake_trace(read_file(path), path.string());
}

}  // namespace odma::workload
