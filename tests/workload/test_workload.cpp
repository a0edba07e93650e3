// Workloads: production traces, mixtures, drift schedules, arrival processes, determinism.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "base/error.h"
#include "test_scale.h"
#include "workload/workload.h"

namespace odma::workload {
namespace {

std::string source_of(const std::string& id) {
  // "alpaca-vicuna-123#1" → "alpaca-vicuna"
  return id.substr(0, id.find_last_of('-'));
}

std::int64_t index_of(const std::string& id) {
  const std::string tail = id.substr(id.find_last_of('-') + 1);
  return std::stoll(tail.substr(0, tail.find('#')));
}

TEST(SplitMix64, MatchesTheReferenceStream) {
  // Reference: splitmix64.c (Vigna) from state 0 yields 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4.
  SplitMix64 rng(0);
  EXPECT_EQ(rng.next(), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(rng.next(), 0x6e789e6aa1b965f4ULL);
}

TEST(SplitMix64, BelowIsRoughlyUniformAndInRange) {
  SplitMix64 rng(42);
  const std::int64_t n = odma::testing::scaled(60000, 6000);
  std::vector<std::int64_t> hist(6, 0);
  for (std::int64_t i = 0; i < n; ++i) {
    const auto v = rng.below(6);
    ASSERT_LT(v, 6u);
    ++hist[v];
  }
  for (std::int64_t h : hist)
    EXPECT_NEAR(static_cast<double>(h) / static_cast<double>(n), 1.0 / 6, 0.02);
  EXPECT_THROW((void)rng.below(0), Error);
}

TEST(Workload, AzureTracesCarryTheirOwnCountsAndTimes) {
  const Trace conv = azure_trace(AzureKind::kConv);
  const Trace code = azure_trace(AzureKind::kCode);
  ASSERT_EQ(conv.requests.size(), 19366u);
  ASSERT_EQ(code.requests.size(), 8819u);
  // First rows: "2023-11-16 18:15:46.6805900,374,44" and "2023-11-16 18:17:03.9799600,4808,10".
  EXPECT_EQ(conv.requests[0].id, "azure-conv-0");
  EXPECT_EQ(conv.requests[0].prompt_tokens, 374);
  EXPECT_EQ(conv.requests[0].output_tokens, 44);
  EXPECT_EQ(conv.requests[0].arrival_s, 0.0);
  EXPECT_NEAR(conv.requests[1].arrival_s, 50.9951690 - 46.6805900, 1e-6);  // 18:15:50.9951690
  EXPECT_EQ(code.requests[0].prompt_tokens, 4808);
  EXPECT_EQ(code.requests[0].output_tokens, 10);
  // Last rows at 19:14:08.4025270 (conv) and 19:14:19.9280160 (code).
  EXPECT_NEAR(conv.requests.back().arrival_s, 58 * 60 + 21.7219370, 1e-6);
  EXPECT_NEAR(code.requests.back().arrival_s, 57 * 60 + 15.9480560, 1e-6);
  validate_trace(conv);
  validate_trace(code);
  for (std::size_t i = 1; i < conv.requests.size(); ++i) {
    ASSERT_LE(conv.requests[i - 1].arrival_s, conv.requests[i].arrival_s);
  }
}

TEST(Workload, ArxivTrace) {
  const Trace t = arxiv_trace();
  ASSERT_EQ(t.requests.size(), 28257u);
  EXPECT_EQ(t.requests[0].prompt_tokens, 3772);  // first row: 3772,54,3826,...
  EXPECT_EQ(t.requests[0].output_tokens, 54);
  EXPECT_EQ(t.requests[1].prompt_tokens, 2015);
  EXPECT_EQ(t.requests[1].output_tokens, 156);
  for (const auto& r : t.requests) ASSERT_EQ(r.arrival_s, 0.0);
  validate_trace(t);
}

TEST(Workload, SourceTraceSplitsProductionTracesByRow) {
  const Trace all = source_trace("azure-code", std::nullopt);
  const Trace test = source_trace("azure-code", Split::kTest);
  ASSERT_EQ(test.requests.size(), all.requests.size() / 10);  // 8819 rows → 881 with row % 10 == 9
  EXPECT_EQ(test.requests[0].id, "azure-code-9");
  EXPECT_EQ(test.requests[0].arrival_s, 0.0);  // re-based to its first request
  EXPECT_NEAR(test.requests[1].arrival_s, all.requests[19].arrival_s - all.requests[9].arrival_s,
              1e-9);
  EXPECT_THROW((void)source_trace("sharegpt", std::nullopt), Error);
}

TEST(Workload, ParseMixture) {
  const auto m = parse_mixture("alpaca:0.7,nq:0.3");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].source, "alpaca");
  EXPECT_DOUBLE_EQ(m[0].weight, 0.7);
  EXPECT_EQ(m[1].source, "nq");
  EXPECT_DOUBLE_EQ(m[1].weight, 0.3);
  EXPECT_DOUBLE_EQ(parse_mixture("azure-conv")[0].weight, 1.0);
  for (const char* bad : {"", "alpaca:", "alpaca:x", "alpaca:-1", "alpaca:0", "foo:1",
                          "alpaca:1,,nq:1", "alpaca:1,alpaca:2", "alpaca:nan"}) {
    EXPECT_THROW((void)parse_mixture(bad), Error) << bad;
  }
}

TEST(Workload, MixtureHasExactProportionsAndInterleaves) {
  const Trace t = make_mixture(parse_mixture("alpaca:0.7,nq:0.3"), 1000, Split::kTest, 7);
  ASSERT_EQ(t.requests.size(), 1000u);
  std::map<std::string, int> by_source;
  std::set<std::string> ids;
  for (const auto& r : t.requests) {
    ++by_source[source_of(r.id)];
    EXPECT_TRUE(ids.insert(r.id).second) << r.id;
    EXPECT_EQ(split_of(index_of(r.id)), Split::kTest) << r.id;
    EXPECT_EQ(r.arrival_s, 0.0);
  }
  EXPECT_EQ(by_source["alpaca"], 700);
  EXPECT_EQ(by_source["nq"], 300);
  // Interleaved: both sources appear in the first and in the last tenth.
  std::set<std::string> head, tail;
  for (std::size_t i = 0; i < 100; ++i) {
    head.insert(source_of(t.requests[i].id));
    tail.insert(source_of(t.requests[900 + i].id));
  }
  EXPECT_EQ(head.size(), 2u);
  EXPECT_EQ(tail.size(), 2u);
  validate_trace(t);
}

TEST(Workload, MixtureApportionsByLargestRemainder) {
  const Trace t = make_mixture(parse_mixture("alpaca:1,nq:1,alpaca-vicuna:1"), 10, Split::kVal, 1);
  std::map<std::string, int> by_source;
  for (const auto& r : t.requests) ++by_source[source_of(r.id)];
  // 10/3 each = 3.33: the one extra request goes to the first component.
  EXPECT_EQ(by_source["alpaca"], 4);
  EXPECT_EQ(by_source["nq"], 3);
  EXPECT_EQ(by_source["alpaca-vicuna"], 3);
}

TEST(Workload, MixtureReusesASmallSourceWithUniqueIds) {
  // nq's test split has 265 records: 600 requests are 2 full passes + 70.
  const Trace t = make_mixture(parse_mixture("nq"), 600, Split::kTest, 3);
  std::set<std::string> ids;
  std::map<std::int64_t, int> uses;
  for (std::size_t i = 0; i < t.requests.size(); ++i) {
    const auto& id = t.requests[i].id;
    EXPECT_TRUE(ids.insert(id).second) << id;
    ++uses[index_of(id)];
    const bool repeat = id.find('#') != std::string::npos;
    EXPECT_EQ(repeat, i >= 265) << i << " " << id;
  }
  EXPECT_EQ(uses.size(), 265u);
  for (const auto& [index, n] : uses) EXPECT_TRUE(n == 2 || n == 3) << index;
}

TEST(Workload, MixtureIsDeterministicGivenTheSeed) {
  const auto mix = parse_mixture("nq:0.5,azure-code:0.5");  // small sources: fast under ASan
  const Trace a = make_mixture(mix, 200, Split::kTest, 11);
  const Trace b = make_mixture(mix, 200, Split::kTest, 11);
  const Trace c = make_mixture(mix, 200, Split::kTest, 12);
  ASSERT_EQ(a.requests.size(), b.requests.size());
  std::size_t same_as_c = 0;
  for (std::size_t i = 0; i < a.requests.size(); ++i) {
    EXPECT_EQ(a.requests[i].id, b.requests[i].id);
    same_as_c += a.requests[i].id == c.requests[i].id ? 1 : 0;
  }
  EXPECT_LT(same_as_c, 20u);  // another seed gives another order
}

TEST(Workload, DriftKeepsPhaseOrder) {
  const Trace t = make_drift({"alpaca", "nq"}, 101, Split::kTest, 5);
  ASSERT_EQ(t.requests.size(), 101u);
  for (std::size_t i = 0; i < t.requests.size(); ++i) {
    EXPECT_EQ(source_of(t.requests[i].id), i < 51 ? "alpaca" : "nq") << i;
  }
  // A Vicuna-lengths second phase: same prompts, other lengths.
  const Trace v = make_drift({"alpaca", "alpaca-vicuna"}, 40, Split::kTest, 5);
  for (std::size_t i = 0; i < 40; ++i) {
    EXPECT_EQ(source_of(v.requests[i].id), i < 20 ? "alpaca" : "alpaca-vicuna") << i;
  }
  // A repeated phase keeps drawing without replacement from the same pool.
  const Trace r = make_drift({"nq", "alpaca", "nq"}, 300, Split::kTest, 5);
  std::set<std::string> ids;
  for (const auto& req : r.requests) EXPECT_TRUE(ids.insert(req.id).second) << req.id;
  EXPECT_THROW((void)make_drift({}, 10, Split::kTest, 1), Error);
  EXPECT_THROW((void)make_drift({"nope"}, 10, Split::kTest, 1), Error);
}

TEST(Workload, PoissonArrivalsHaveTheRequestedRate) {
  const std::size_t n = static_cast<std::size_t>(odma::testing::scaled(20000, 2000));
  Trace t;
  t.requests.resize(n);
  for (std::size_t i = 0; i < n; ++i) t.requests[i] = {"r" + std::to_string(i), "", 1, 1, 0.0};
  const double rate = 8.0;
  apply_poisson_arrivals(t, rate, 99);
  EXPECT_EQ(t.requests[0].arrival_s, 0.0);
  double sum_sq = 0;
  for (std::size_t i = 1; i < n; ++i) {
    const double gap = t.requests[i].arrival_s - t.requests[i - 1].arrival_s;
    ASSERT_GE(gap, 0.0);
    sum_sq += gap * gap;
  }
  const double gaps = static_cast<double>(n - 1);
  const double mean_gap = t.requests.back().arrival_s / gaps;
  // The mean of n exponential gaps has relative s.d. 1/√n; allow 5 s.d.
  EXPECT_NEAR(1.0 / mean_gap / rate, 1.0, 5.0 / std::sqrt(gaps));
  // Exponential: variance = mean², so E[gap²] = 2·mean².
  EXPECT_NEAR(sum_sq / gaps / (mean_gap * mean_gap), 2.0, 0.2);
  // Same seed → same times; another seed → other times.
  Trace again = t;
  apply_poisson_arrivals(again, rate, 99);
  EXPECT_EQ(again.requests.back().arrival_s, t.requests.back().arrival_s);
  apply_poisson_arrivals(again, rate, 100);
  EXPECT_NE(again.requests.back().arrival_s, t.requests.back().arrival_s);
  EXPECT_THROW(apply_poisson_arrivals(t, 0.0, 1), Error);
  EXPECT_THROW(apply_poisson_arrivals(t, -1.0, 1), Error);
}

TEST(Workload, TraceArrivalsReplayAndWrap) {
  Trace pattern;
  pattern.name = "p";
  pattern.requests = {{"a", "", 1, 1, 10.0}, {"b", "", 1, 1, 11.0}, {"c", "", 1, 1, 14.0}};
  Trace t;
  for (int i = 0; i < 7; ++i) t.requests.push_back({"r" + std::to_string(i), "", 1, 1, 0.0});
  apply_trace_arrivals(t, pattern);
  // Span 4, mean gap 2: each pass is shifted by 6.
  const double want[] = {0, 1, 4, 6, 7, 10, 12};
  for (int i = 0; i < 7; ++i)
    EXPECT_DOUBLE_EQ(t.requests[static_cast<std::size_t>(i)].arrival_s, want[i]) << i;
  EXPECT_THROW(apply_trace_arrivals(t, Trace{}), Error);
}

TEST(Workload, ArrivalSpecs) {
  Trace t = make_drift({"nq", "arxiv"}, 50, Split::kTest, 2);
  apply_arrival_spec(t, "azure-code", 0);
  const Trace code = azure_trace(AzureKind::kCode);
  for (std::size_t i = 0; i < t.requests.size(); ++i)
    EXPECT_EQ(t.requests[i].arrival_s, code.requests[i].arrival_s);
  EXPECT_EQ(source_of(t.requests.front().id), "nq");  // order kept
  EXPECT_EQ(source_of(t.requests.back().id), "arxiv");
  apply_arrival_spec(t, "poisson:2.5", 3);
  EXPECT_GT(t.requests.back().arrival_s, 0.0);
  apply_arrival_spec(t, "offline", 3);
  EXPECT_EQ(t.requests.back().arrival_s, 0.0);
  for (const char* bad : {"poisson:", "poisson:abc", "poisson:0", "uniform", "azure"}) {
    EXPECT_THROW(apply_arrival_spec(t, bad, 1), Error) << bad;
  }
}

}  // namespace
}  // namespace odma::workload
