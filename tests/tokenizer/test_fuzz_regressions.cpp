// Inputs fuzz/fuzz_tokenizer_json.cpp found (minimised), kept as regression tests.
#include <gtest/gtest.h>

#include <string>

#include "base/error.h"
#include "tokenizer/tokenizer.h"

namespace odma::tokenizer {
namespace {

// A number past double's range ("11e99931") made nlohmann throw out_of_range 406, which escaped
// the tokenizer.json reader (it caught parse_error only) instead of an error naming the file.
TEST(TokenizerFuzz, ANumberBeyondDoubleIsAnErrorNamingTheFile) {
  try {
    (void)Tokenizer::from_json(R"({"model": {"type": "BPE", "vocab": {"a": 11e99931}}})",
                               "tokenizer.json");
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer.json"), std::string::npos) << e.what();
  } catch (const std::exception& e) {
    FAIL() << "not an odma::Error: " << e.what();
  }
}

}  // namespace
}  // namespace odma::tokenizer
