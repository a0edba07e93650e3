// "nq": NQ-open questions with the Qwen2 length of their oracle long answer (lost-in-the-middle's
// nq-open-oracle, one JSON object per line; token counts in data/lengths/nq_oracle.tsv).
#include "base/error.h"
#include "base/file_io.h"
#include "workload/dataset_loaders.h"
#include "workload/dataset_parse.h"

namespace odma::workload::detail {

Dataset load_nq() {
  const auto path = data_file(kNqJsonl);
  const std::string file = path.string();
  const std::string text = read_file(path);
  // Columns: index, question_tokens, long_answer_tokens.
  const auto lengths =
      read_int_table(kNqLengths, '\t', {"index", "question_tokens", "long_answer_tokens"});
  const std::string lengths_file = data_file(kNqLengths).string();

  Dataset d;
  d.name = "nq";
  d.length_unit = "qwen2 tokens";
  d.s3_max_output = 2048;
  for_each_line(text, [&](std::string_view line, std::size_t number) {
    if (line.empty()) return;
    const std::string where = file + ":" + std::to_string(number);
    const nlohmann::json obj = detail::parse_json_object_line(line, where);
    for (const char* key : {"question", "long_answer"}) {
      if (!obj.contains(key) || !obj.at(key).is_string()) {
        throw Error(where + ": missing string field '" + key + "'");
      }
    }
    const std::size_t i = d.records.size();
    if (i >= lengths.size()) {
      throw Error(lengths_file + ": only " + std::to_string(lengths.size()) + " rows, but " + file +
                  " has more records");
    }
    const auto& row = lengths[i];
    if (row[0] != static_cast<std::int64_t>(i) || row[1] < 0 || row[2] < 0) {
      throw Error(lengths_file + ": row " + std::to_string(i) + " is inconsistent (index " +
                  std::to_string(row[0]) + ", negative or misplaced)");
    }
    Record r;
    r.index = static_cast<std::int64_t>(i);
    r.prompt = obj.at("question").get<std::string>();
    r.prompt_tokens = static_cast<std::int32_t>(row[1]);
    r.output_tokens = static_cast<std::int32_t>(row[2]);
    r.split = split_of(r.index);
    d.records.push_back(std::move(r));
  });
  if (d.records.size() != lengths.size()) {
    throw Error(lengths_file + ": " + std::to_string(lengths.size()) + " rows, but " + file +
                " has " + std::to_string(d.records.size()) + " records");
  }
  return d;
}

}  // namespace odma::workload::detail
