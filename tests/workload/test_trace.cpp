// Trace JSONL: round trip, validation errors with line numbers, stable arrival order.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "base/error.h"
#include "base/file_io.h"
#include "workload/dataset.h"
#include "workload/trace.h"

namespace odma::workload {
namespace {

std::string error_of(const std::string& text) {
  try {
    (void)parse_trace(text, "t.jsonl");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Trace, RoundTripThroughAFile) {
  Trace t;
  t.name = "rt";
  t.requests.push_back({"a", "Hello \"world\"\nnew line, ünïcode ✓", 5, 7, 0.0});
  t.requests.push_back({"b", "", 1, 1, 0.25});
  t.requests.push_back({"c", "x", 2048, 4096, 1234.5678901234});
  const auto path = std::filesystem::temp_directory_path() /
                    ("odma_trace_roundtrip_" + std::to_string(::getpid()) + ".jsonl");
  write_trace(t, path);
  const Trace back = read_trace(path);
  std::filesystem::remove(path);
  EXPECT_EQ(back.name, path.stem().string());
  ASSERT_EQ(back.requests.size(), t.requests.size());
  for (std::size_t i = 0; i < t.requests.size(); ++i) {
    EXPECT_EQ(back.requests[i].id, t.requests[i].id);
    EXPECT_EQ(back.requests[i].prompt, t.requests[i].prompt);
    EXPECT_EQ(back.requests[i].prompt_tokens, t.requests[i].prompt_tokens);
    EXPECT_EQ(back.requests[i].output_tokens, t.requests[i].output_tokens);
    EXPECT_DOUBLE_EQ(back.requests[i].arrival_s, t.requests[i].arrival_s);
  }
}

TEST(Trace, OptionalFieldsDefaultAndSortIsStable) {
  const Trace t = parse_trace(
      "{\"id\": \"late\", \"prompt_tokens\": 3, \"output_tokens\": 4, \"arrival_s\": 2.0}\n"
      "\n"
      "{\"id\": \"first0\", \"prompt_tokens\": 1, \"output_tokens\": 2}\n"
      "{\"id\": \"mid\", \"prompt_tokens\": 1, \"output_tokens\": 2, \"arrival_s\": 1}\n"
      "{\"id\": \"second0\", \"prompt_tokens\": 1, \"output_tokens\": 2, \"arrival_s\": 0}\n",
      "x.jsonl");
  ASSERT_EQ(t.requests.size(), 4u);
  EXPECT_EQ(t.requests[0].id, "first0");
  EXPECT_EQ(t.requests[1].id, "second0");  // equal arrivals keep file order
  EXPECT_EQ(t.requests[2].id, "mid");
  EXPECT_EQ(t.requests[3].id, "late");
  EXPECT_EQ(t.requests[0].prompt, "");
  EXPECT_EQ(t.requests[0].arrival_s, 0.0);
}

TEST(Trace, MalformedLinesNameTheLine) {
  const std::string ok = "{\"id\": \"a\", \"prompt_tokens\": 3, \"output_tokens\": 4}\n";
  struct Case {
    std::string bad_line;
    std::string expect;
  };
  const Case cases[] = {
      {"{\"id\": \"b\", \"prompt_tokens\": 3, ", "malformed JSON"},
      {"[1, 2]", "not a JSON object"},
      {"{\"prompt_tokens\": 3, \"output_tokens\": 4}", "missing field 'id'"},
      {"{\"id\": \"b\", \"output_tokens\": 4}", "missing field 'prompt_tokens'"},
      {"{\"id\": \"b\", \"prompt_tokens\": 3}", "missing field 'output_tokens'"},
      {"{\"id\": \"b\", \"prompt_tokens\": -3, \"output_tokens\": 4}",
       "'prompt_tokens' is negative"},
      {"{\"id\": \"b\", \"prompt_tokens\": 3, \"output_tokens\": -1}",
       "'output_tokens' is negative"},
      {"{\"id\": \"b\", \"prompt_tokens\": 3, \"output_tokens\": 0}", "'output_tokens' is 0"},
      {"{\"id\": \"b\", \"prompt_tokens\": 3.5, \"output_tokens\": 4}",
       "'prompt_tokens' is not an integer"},
      {"{\"id\": \"b\", \"prompt_tokens\": \"3\", \"output_tokens\": 4}",
       "'prompt_tokens' is not an integer"},
      {"{\"id\": \"b\", \"prompt_tokens\": 3000000000, \"output_tokens\": 4}", "too large"},
      {"{\"id\": \"b\", \"prompt_tokens\": 3, \"output_tokens\": 4, \"arrival_s\": -1}",
       "'arrival_s' must be"},
      {"{\"id\": \"b\", \"prompt_tokens\": 3, \"output_tokens\": 4, \"arrival_s\": \"1\"}",
       "'arrival_s' is not"},
      {"{\"id\": 7, \"prompt_tokens\": 3, \"output_tokens\": 4}", "'id' is not"},
      {"{\"id\": \"b\", \"prompt\": 5, \"prompt_tokens\": 3, \"output_tokens\": 4}",
       "'prompt' is not"},
      {"{\"id\": \"a\", \"prompt_tokens\": 3, \"output_tokens\": 4}", "duplicate id 'a'"},
  };
  for (const Case& c : cases) {
    const std::string e = error_of(ok + ok.substr(0, 0) + "\n" + c.bad_line + "\n" + ok);
    EXPECT_NE(e.find("t.jsonl:3:"), std::string::npos) << c.bad_line << " → " << e;
    EXPECT_NE(e.find(c.expect), std::string::npos) << c.bad_line << " → " << e;
  }
}

TEST(Trace, ReadMissingFileIsAnError) {
  EXPECT_THROW((void)read_trace("/nonexistent/odma/trace.jsonl"), Error);
}

TEST(Trace, WriteRejectsInvalidRequests) {
  Trace t;
  t.name = "bad";
  t.requests.push_back({"a", "", 0, 5, 0.0});
  EXPECT_THROW(write_trace(t, std::filesystem::temp_directory_path() /
                                  ("odma_bad_" + std::to_string(::getpid()) + ".jsonl")),
               Error);
  t.requests[0].prompt_tokens = 1;
  t.requests.push_back({"a", "", 1, 5, 0.0});
  EXPECT_THROW(validate_trace(t), Error);
}

TEST(Trace, DatasetTraceIsTheTestSplit) {
  const Dataset nq = load_dataset("nq");
  const Trace t = dataset_trace("nq");
  const auto test = nq.split(Split::kTest);
  ASSERT_EQ(t.requests.size(), test.size());
  EXPECT_EQ(t.requests.size(), 265u);  // indices 9, 19, ..., 2649
  for (std::size_t i = 0; i < test.size(); ++i) {
    EXPECT_EQ(t.requests[i].id, "nq-" + std::to_string(test[i].index));
    EXPECT_EQ(t.requests[i].prompt, test[i].prompt);
    EXPECT_EQ(t.requests[i].prompt_tokens, test[i].prompt_tokens);
    EXPECT_EQ(t.requests[i].output_tokens, test[i].output_tokens);
    EXPECT_EQ(t.requests[i].arrival_s, 0.0);
  }
  EXPECT_EQ(t.requests[0].id, "nq-9");
  validate_trace(t);
  // It survives a text round trip unchanged.
  const Trace back = parse_trace(format_trace(t), "nq.jsonl");
  ASSERT_EQ(back.requests.size(), t.requests.size());
  for (std::size_t i = 0; i < t.requests.size(); ++i)
    EXPECT_EQ(back.requests[i].prompt, t.requests[i].prompt);
}

TEST(Trace, DatasetTraceClampsEmptyOutputsToOneToken) {
  const Dataset a = load_dataset("alpaca");
  const Trace t = dataset_trace("alpaca", std::nullopt);
  ASSERT_EQ(t.requests.size(), a.records.size());
  ASSERT_EQ(a.records[284].output_tokens, 0);
  EXPECT_EQ(t.requests[284].output_tokens, 1);
  EXPECT_EQ(t.requests[284].id, "alpaca-284");
  validate_trace(t);
  const Trace v = dataset_trace("alpaca-vicuna");
  EXPECT_EQ(v.requests.size(), load_dataset("alpaca-vicuna").split(Split::kTest).size());
  EXPECT_EQ(v.requests.front().id.rfind("alpaca-vicuna-", 0), 0u);
}

}  // namespace
}  // namespace odma::workload
