// Integer ranges checked exhaustively against arithmetic: whole numbers and every prefix.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "grammar/grammar.h"
#include "grammar_test_util.h"

namespace odma::grammar {
namespace {

std::string schema(std::optional<long> lo, std::optional<long> hi) {
  std::string s = R"({"type":"integer")";
  if (lo) s += ",\"minimum\":" + std::to_string(*lo);
  if (hi) s += ",\"maximum\":" + std::to_string(*hi);
  return s + "}";
}

TEST(IntegerRange, ExhaustiveAgainstArithmetic) {
  const std::pair<std::optional<long>, std::optional<long>> bounds[] = {{0, 9},
                                                                        {0, 10},
                                                                        {7, 7},
                                                                        {-9, -1},
                                                                        {-105, 37},
                                                                        {13, 999},
                                                                        {-1000, -99},
                                                                        {1, 100},
                                                                        {150, 320},
                                                                        {std::nullopt, 42},
                                                                        {-42, std::nullopt},
                                                                        {100, std::nullopt},
                                                                        {std::nullopt, -100}};
  for (const auto& [lo, hi] : bounds) {
    GrammarPtr g = json_schema_text(schema(lo, hi));
    for (long n = -1200; n <= 1200; ++n) {
      bool in = (!lo || n >= *lo) && (!hi || n <= *hi);
      EXPECT_EQ(testing::matches(g, std::to_string(n)), in) << schema(lo, hi) << " " << n;
    }
  }
}

TEST(IntegerRange, EveryOfferedPrefixHasACompletion) {
  // With 1..4 digit prefixes (and '-'), a prefix is accepted exactly when some number in range
  // starts with it: no dead ends.
  const std::pair<long, long> bounds[] = {{-105, 37}, {150, 320}, {13, 999}, {-1000, -99}};
  for (const auto& [lo, hi] : bounds) {
    GrammarPtr g = json_schema_text(schema(lo, hi));
    std::set<std::string> completable;  // every prefix of every number in range
    for (long n = lo; n <= hi; ++n) {
      std::string text = std::to_string(n);
      for (std::size_t k = 1; k <= text.size(); ++k) completable.insert(text.substr(0, k));
    }
    std::vector<std::string> prefixes = {"-"};
    for (long n = -9999; n <= 9999; ++n) prefixes.push_back(std::to_string(n));
    for (const std::string& p : prefixes) {
      EXPECT_EQ(testing::prefix_ok(g, p), completable.count(p) > 0)
          << schema(lo, hi) << " prefix " << p;
    }
  }
}

}  // namespace
}  // namespace odma::grammar
