// Shipped datasets: record counts, spot values checked against the source files, the split rule.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "base/error.h"
#include "base/file_io.h"
#include "workload/dataset.h"

namespace odma::workload {
namespace {

TEST(Split, ByIndexModTen) {
  for (std::int64_t i = 0; i < 1000; ++i) {
    const std::int64_t r = i % 10;
    const Split want = r <= 7 ? Split::kTrain : (r == 8 ? Split::kVal : Split::kTest);
    EXPECT_EQ(split_of(i), want) << i;
  }
  EXPECT_EQ(split_of(9), Split::kTest);
  EXPECT_EQ(split_of(18), Split::kVal);
  EXPECT_EQ(split_of(52001), Split::kTrain);
}

TEST(Split, ParseNames) {
  EXPECT_EQ(parse_split("train"), Split::kTrain);
  EXPECT_EQ(parse_split("val"), Split::kVal);
  EXPECT_EQ(parse_split("test"), Split::kTest);
  EXPECT_FALSE(parse_split("all").has_value());
  EXPECT_THROW((void)parse_split("dev"), Error);
  for (Split s : {Split::kTrain, Split::kVal, Split::kTest})
    EXPECT_EQ(parse_split(split_name(s)), s);
}

TEST(Dataset, AlpacaCountsAndSpotValues) {
  const Dataset d = load_dataset("alpaca");
  EXPECT_EQ(d.name, "alpaca");
  EXPECT_EQ(d.s3_max_output, 2048);
  ASSERT_EQ(d.records.size(), 52002u);
  // Record 0: instruction only. Source: alpaca_data_en.json[0], lengths/alpaca.tsv row 0 (7, 0,
  // 43).
  EXPECT_EQ(d.records[0].prompt, "Give three tips for staying healthy.");
  EXPECT_EQ(d.records[0].prompt_tokens, 7);
  EXPECT_EQ(d.records[0].output_tokens, 43);
  // Record 5 has an input: prompt = instruction + "\n" + input; tokens 7 + 5, output "Telegram"
  // = 1.
  EXPECT_EQ(d.records[5].prompt, "Identify the odd one out.\nTwitter, Instagram, Telegram");
  EXPECT_EQ(d.records[5].prompt_tokens, 12);
  EXPECT_EQ(d.records[5].output_tokens, 1);
  // Record 284's reference output is empty: 0 tokens kept in the dataset.
  EXPECT_EQ(d.records[284].output_tokens, 0);
  std::int64_t with_input = 0;
  for (std::size_t i = 0; i < d.records.size(); ++i) {
    ASSERT_EQ(d.records[i].index, static_cast<std::int64_t>(i));
    ASSERT_EQ(d.records[i].split, split_of(d.records[i].index));
    ASSERT_GE(d.records[i].prompt_tokens, 1);
    with_input += d.records[i].prompt.find('\n') != std::string::npos ? 1 : 0;
  }
  // 20,074 records have a non-empty input (some instructions contain newlines too, hence ≥).
  EXPECT_GE(with_input, 20074);
}

TEST(Dataset, AlpacaVicunaUsesOneBasedIds) {
  const Dataset alpaca = load_dataset("alpaca");
  const Dataset d = load_dataset("alpaca-vicuna");
  EXPECT_EQ(d.s3_max_output, 512);
  ASSERT_EQ(d.records.size(), 20000u);
  std::set<std::int64_t> indices;
  for (const Record& r : d.records) {
    indices.insert(r.index);
    ASSERT_LE(r.output_tokens, 512);
    ASSERT_EQ(r.split, split_of(r.index));  // split by the Alpaca index
    ASSERT_EQ(r.prompt, alpaca.records[static_cast<std::size_t>(r.index)].prompt);
    ASSERT_EQ(r.prompt_tokens, alpaca.records[static_cast<std::size_t>(r.index)].prompt_tokens);
  }
  EXPECT_EQ(indices.size(), 20000u);
  // First entry of the train file: {"id": "5", "L_t0.0": 115} → Alpaca index 4; last of the val
  // file: {"id": "51989", "L_t0.0": 120} → index 51988. The smallest id is 1 → index 0.
  auto find = [&](std::int64_t index) {
    for (const Record& r : d.records) {
      if (r.index == index) return r;
    }
    ADD_FAILURE() << "index " << index << " missing";
    return Record{};
  };
  EXPECT_EQ(find(4).output_tokens, 115);
  EXPECT_EQ(find(4).prompt, alpaca.records[4].prompt);
  EXPECT_EQ(find(51988).output_tokens, 120);
  EXPECT_EQ(d.records.front().index, 0);
  EXPECT_EQ(d.records.back().index, 51992);  // the largest id is 51993
  // Sorted by index.
  for (std::size_t i = 1; i < d.records.size(); ++i)
    ASSERT_LT(d.records[i - 1].index, d.records[i].index);
}

TEST(Dataset, NqCountsAndSpotValues) {
  const Dataset d = load_dataset("nq");
  EXPECT_EQ(d.s3_max_output, 2048);
  ASSERT_EQ(d.records.size(), 2655u);
  EXPECT_EQ(d.records[0].prompt, "who got the first nobel prize in physics");
  EXPECT_EQ(d.records[0].prompt_tokens, 9);
  EXPECT_EQ(d.records[0].output_tokens, 247);
  EXPECT_EQ(d.records[1].output_tokens, 36);
  EXPECT_EQ(d.records[100].prompt, "when was catch me if you can made");
  EXPECT_EQ(d.records[100].prompt_tokens, 8);
  EXPECT_EQ(d.records[100].output_tokens, 138);
}

TEST(Dataset, SplitProportionsAndDisjointness) {
  for (const std::string& name : dataset_names()) {
    const Dataset d = load_dataset(name);
    std::map<Split, std::size_t> count;
    std::set<std::int64_t> seen;
    for (Split s : {Split::kTrain, Split::kVal, Split::kTest}) {
      for (const Record& r : d.split(s)) {
        EXPECT_EQ(r.split, s);
        EXPECT_TRUE(seen.insert(r.index).second)
            << name << " index " << r.index << " in two splits";
        ++count[s];
      }
    }
    EXPECT_EQ(seen.size(), d.records.size()) << name;
    const double n = static_cast<double>(d.records.size());
    EXPECT_NEAR(static_cast<double>(count[Split::kTrain]) / n, 0.8, 0.02) << name;
    EXPECT_NEAR(static_cast<double>(count[Split::kVal]) / n, 0.1, 0.02) << name;
    EXPECT_NEAR(static_cast<double>(count[Split::kTest]) / n, 0.1, 0.02) << name;
  }
  // Alpaca's split is exact: 52,002 = 5,200 tens + 2 (indices 52000, 52001 → train).
  const Dataset a = load_dataset("alpaca");
  EXPECT_EQ(a.split(Split::kTest).size(), 5200u);
  EXPECT_EQ(a.split(Split::kVal).size(), 5200u);
  EXPECT_EQ(a.split(Split::kTrain).size(), 41602u);
}

TEST(Dataset, LoadingIsDeterministic) {
  const Dataset a = load_dataset("nq");
  const Dataset b = load_dataset("nq");
  ASSERT_EQ(a.records.size(), b.records.size());
  for (std::size_t i = 0; i < a.records.size(); ++i) {
    ASSERT_EQ(a.records[i].prompt, b.records[i].prompt);
    ASSERT_EQ(a.records[i].output_tokens, b.records[i].output_tokens);
  }
}

TEST(Dataset, UnknownNameIsAnError) {
  try {
    (void)load_dataset("sharegpt-xl");
    FAIL() << "expected odma::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sharegpt-xl"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("alpaca"), std::string::npos);  // lists the known names
  }
}

// Malformed shipped files, via a temporary ODMA_DATA_DIR holding broken copies.
class BrokenDataDir : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* old = std::getenv("ODMA_DATA_DIR");
    if (old != nullptr) old_ = old;
    dir_ = std::filesystem::temp_directory_path() /
           ("odma_data_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "nq");
    std::filesystem::create_directories(dir_ / "lengths");
    std::filesystem::create_directories(dir_ / "alpaca");
    setenv("ODMA_DATA_DIR", dir_.c_str(), 1);
  }
  void TearDown() override {
    if (old_.empty()) {
      unsetenv("ODMA_DATA_DIR");
    } else {
      setenv("ODMA_DATA_DIR", old_.c_str(), 1);
    }
    std::filesystem::remove_all(dir_);
  }
  void put(const std::string& rel, const std::string& text) { write_file(dir_ / rel, text); }
  static std::string error_of(const std::string& name) {
    try {
      (void)load_dataset(name);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
  std::filesystem::path dir_;
  std::string old_;
};

TEST_F(BrokenDataDir, NqBadJsonNamesFileAndLine) {
  put("nq/nq_open_oracle_long_answers.jsonl",
      "{\"question\": \"q0\", \"long_answer\": \"a\"}\n{\"question\": \"q1\", \"long_answer\": "
      "}\n");
  put("lengths/nq_oracle.tsv", "index\tquestion_tokens\tlong_answer_tokens\n0\t2\t3\n1\t2\t3\n");
  const std::string e = error_of("nq");
  EXPECT_NE(e.find("nq_open_oracle_long_answers.jsonl:2"), std::string::npos) << e;
  EXPECT_NE(e.find("malformed JSON"), std::string::npos) << e;
}

TEST_F(BrokenDataDir, NqMissingFieldAndCountMismatch) {
  put("nq/nq_open_oracle_long_answers.jsonl", "{\"question\": \"q0\"}\n");
  put("lengths/nq_oracle.tsv", "index\tquestion_tokens\tlong_answer_tokens\n0\t2\t3\n");
  EXPECT_NE(error_of("nq").find(":1: missing string field 'long_answer'"), std::string::npos)
      << error_of("nq");
}

TEST_F(BrokenDataDir, NqLengthTableMismatch) {
  put("nq/nq_open_oracle_long_answers.jsonl", "{\"question\": \"q0\", \"long_answer\": \"a\"}\n");
  put("lengths/nq_oracle.tsv", "index\tquestion_tokens\tlong_answer_tokens\n0\t2\tx\n");
  const std::string e = error_of("nq");
  EXPECT_NE(e.find("nq_oracle.tsv:2"), std::string::npos) << e;
  EXPECT_NE(e.find("not an integer"), std::string::npos) << e;
  put("lengths/nq_oracle.tsv", "index\tquestion_tokens\tlong_answer_tokens\n0\t2\t3\n1\t2\t3\n");
  EXPECT_NE(error_of("nq").find("2 rows"), std::string::npos) << error_of("nq");
}

TEST_F(BrokenDataDir, AlpacaSyntaxErrorNamesLine) {
  put("alpaca/alpaca_data_en.json",
      "[\n  {\"instruction\": \"a\",\n   \"input\": \"\",\n   \"output\" \"x\"}\n]\n");
  put("lengths/alpaca.tsv", "index\tinstruction_tokens\tinput_tokens\toutput_tokens\n0\t1\t0\t1\n");
  const std::string e = error_of("alpaca");
  EXPECT_NE(e.find("alpaca_data_en.json:4"), std::string::npos) << e;
}

TEST_F(BrokenDataDir, AlpacaMissingFieldNamesRecord) {
  put("alpaca/alpaca_data_en.json",
      "[{\"instruction\": \"a\", \"input\": \"\", \"output\": \"x\"}, {\"instruction\": \"b\", "
      "\"output\": \"y\"}]");
  put("lengths/alpaca.tsv",
      "index\tinstruction_tokens\tinput_tokens\toutput_tokens\n0\t1\t0\t1\n1\t1\t0\t1\n");
  const std::string e = error_of("alpaca");
  EXPECT_NE(e.find("record 1: missing field 'input'"), std::string::npos) << e;
}

TEST_F(BrokenDataDir, VicunaIdOutOfRange) {
  put("alpaca/alpaca_data_en.json",
      "[{\"instruction\": \"a\", \"input\": \"\", \"output\": \"x\"}]");
  put("lengths/alpaca.tsv", "index\tinstruction_tokens\tinput_tokens\toutput_tokens\n0\t1\t0\t1\n");
  put("alpaca/seqsched_vicuna7b_lengths_train10k.json", "[{\"id\": \"1\", \"L_t0.0\": 600}]");
  put("alpaca/seqsched_vicuna7b_lengths_val10k.json", "[{\"id\": \"2\", \"L_t0.0\": 5}]");
  const std::string e = error_of("alpaca-vicuna");
  EXPECT_NE(e.find("val10k.json: record 0: id 2 is outside"), std::string::npos) << e;
}

TEST_F(BrokenDataDir, VicunaClampsToCap) {
  put("alpaca/alpaca_data_en.json",
      "[{\"instruction\": \"a\", \"input\": \"\", \"output\": \"x\"}, {\"instruction\": \"b\", "
      "\"input\": \"c\", "
      "\"output\": \"y\"}]");
  put("lengths/alpaca.tsv",
      "index\tinstruction_tokens\tinput_tokens\toutput_tokens\n0\t1\t0\t1\n1\t2\t3\t1\n");
  put("alpaca/seqsched_vicuna7b_lengths_train10k.json", "[{\"id\": \"2\", \"L_t0.0\": 514}]");
  put("alpaca/seqsched_vicuna7b_lengths_val10k.json", "[{\"id\": 1, \"L_t0.0\": 7}]");
  const Dataset d = load_dataset("alpaca-vicuna");
  ASSERT_EQ(d.records.size(), 2u);
  EXPECT_EQ(d.records[0].index, 0);
  EXPECT_EQ(d.records[0].output_tokens, 7);
  EXPECT_EQ(d.records[1].index, 1);
  EXPECT_EQ(d.records[1].prompt, "b\nc");
  EXPECT_EQ(d.records[1].prompt_tokens, 5);
  EXPECT_EQ(d.records[1].output_tokens, 512);
}

TEST_F(BrokenDataDir, MissingFileNamesIt) {
  const std::string e = error_of("nq");
  EXPECT_NE(e.find("nq_open_oracle_long_answers.jsonl"), std::string::npos) << e;
}

}  // namespace
}  // namespace odma::workload
