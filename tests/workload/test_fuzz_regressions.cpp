// Inputs the workload fuzz targets (fuzz/fuzz_trace_jsonl.cpp, fuzz/fuzz_trace_csv.cpp) found,
// minimised, kept as regression tests: each must be an odma::Error naming the file.
#include <gtest/gtest.h>

#include <string>

#include "base/error.h"
#include "workload/trace.h"

namespace odma::workload {
namespace {

void expect_error_naming_the_file(const std::string& text, const std::string& needle) {
  try {
    (void)parse_trace(text, "trace.jsonl");
    ADD_FAILURE() << "accepted " << text;
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("trace.jsonl:1"), std::string::npos) << what;
    EXPECT_NE(what.find(needle), std::string::npos) << what;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not an odma::Error: " << e.what();
  }
}

// A number past double's range made nlohmann throw out_of_range 406, which the line parser did
// not catch (it caught parse_error only).
TEST(TraceFuzz, ANumberBeyondDoubleIsAnErrorNamingTheLine) {
  expect_error_naming_the_file(R"({"id": "a", "prompt_tokens": 1, "output_tokens": 1e999})",
                               "malformed JSON");
}

}  // namespace
}  // namespace odma::workload
