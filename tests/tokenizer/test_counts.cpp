// Token counts of the Alpaca and NQ texts must equal the shipped length tables exactly
// (data/lengths/*.tsv, counted with the reference Qwen2 tokenizer). Under ODMA_TEST_SCALE < 1 a
// scaled prefix of the records is checked.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "test_scale.h"
#include "tokenizer/tokenizer_test_util.h"

namespace odma::tokenizer {
namespace {

using odma::testing::data_lines;
using odma::testing::qwen_tokenizer;

bool shipped(const std::string& relative) {
  auto p = odma::data_dir() / relative;
  return std::filesystem::exists(p) || std::filesystem::exists(p.string() + ".gz");
}

// Rows of a tab-separated table with a header line, as integers.
std::vector<std::vector<long long>> read_tsv(const std::string& relative) {
  auto lines = data_lines(relative);
  std::vector<std::vector<long long>> rows;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::vector<long long> row;
    std::istringstream in(lines[i]);
    std::string cell;
    while (std::getline(in, cell, '\t')) row.push_back(std::stoll(cell));
    rows.push_back(std::move(row));
  }
  return rows;
}

TEST(TokenizerCounts, AlpacaMatchesLengthTable) {
  if (!shipped("alpaca/alpaca_data_en.json")) GTEST_SKIP() << "data/alpaca not shipped yet";
  const auto records =
      nlohmann::json::parse(odma::read_file(odma::data_file("alpaca/alpaca_data_en.json")));
  const auto rows = read_tsv("lengths/alpaca.tsv");
  ASSERT_EQ(records.size(), 52002u);
  ASSERT_EQ(rows.size(), records.size());
  const auto n = static_cast<std::size_t>(odma::testing::scaled(52002, 500));
  const Tokenizer& tok = qwen_tokenizer();
  const char* fields[] = {"instruction", "input", "output"};
  int mismatches = 0;
  for (std::size_t i = 0; i < std::min(n, records.size()); ++i) {
    ASSERT_EQ(rows[i].size(), 4u);
    ASSERT_EQ(rows[i][0], static_cast<long long>(i));
    for (int f = 0; f < 3; ++f) {
      const auto& text = records[i].at(fields[f]).get_ref<const std::string&>();
      const auto got = static_cast<long long>(tok.count_tokens(text));
      if (got != rows[i][static_cast<std::size_t>(f) + 1] && ++mismatches <= 5) {
        ADD_FAILURE() << "alpaca record " << i << " " << fields[f] << ": " << got
                      << " tokens, table says " << rows[i][static_cast<std::size_t>(f) + 1];
      }
    }
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(TokenizerCounts, NqMatchesLengthTable) {
  if (!shipped("nq/nq_open_oracle_long_answers.jsonl")) GTEST_SKIP() << "data/nq not shipped yet";
  const auto lines = data_lines("nq/nq_open_oracle_long_answers.jsonl");
  const auto rows = read_tsv("lengths/nq_oracle.tsv");
  ASSERT_EQ(lines.size(), 2655u);
  ASSERT_EQ(rows.size(), lines.size());
  const auto n = static_cast<std::size_t>(odma::testing::scaled(2655, 200));
  const Tokenizer& tok = qwen_tokenizer();
  int mismatches = 0;
  for (std::size_t i = 0; i < std::min(n, lines.size()); ++i) {
    const auto record = nlohmann::json::parse(lines[i]);
    ASSERT_EQ(rows[i].size(), 3u);
    ASSERT_EQ(rows[i][0], static_cast<long long>(i));
    const long long question =
        static_cast<long long>(tok.count_tokens(record.at("question").get<std::string>()));
    const long long answer =
        static_cast<long long>(tok.count_tokens(record.at("long_answer").get<std::string>()));
    if ((question != rows[i][1] || answer != rows[i][2]) && ++mismatches <= 5) {
      ADD_FAILURE() << "nq record " << i << ": " << question << "/" << answer
                    << " tokens, table says " << rows[i][1] << "/" << rows[i][2];
    }
  }
  EXPECT_EQ(mismatches, 0);
}

}  // namespace
}  // namespace odma::tokenizer
