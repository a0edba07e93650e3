// The Prometheus registry: exact exposition text, escaping, histogram invariants, misuse, threads.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "server/prometheus.h"

namespace odma::server::prometheus {
namespace {

TEST(Prometheus, GoldenTextOfASmallRegistry) {
  Registry r;
  r.counter("vllm:prompt_tokens_total", "Number of prefill tokens processed.",
            {{"model_name", "llama"}})
      .inc(12);
  r.gauge("vllm:num_requests_running", "Number of requests in model execution batches.").set(3);
  const std::vector<double> bounds = {0.1, 1};
  Histogram& h = r.histogram("vllm:e2e_request_latency_seconds",
                             "Histogram of e2e request latency in seconds.", bounds,
                             {{"model_name", "llama"}});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(2);
  EXPECT_EQ(r.render(),
            "# HELP vllm:prompt_tokens_total Number of prefill tokens processed.\n"
            "# TYPE vllm:prompt_tokens_total counter\n"
            "vllm:prompt_tokens_total{model_name=\"llama\"} 12\n"
            "# HELP vllm:num_requests_running Number of requests in model execution batches.\n"
            "# TYPE vllm:num_requests_running gauge\n"
            "vllm:num_requests_running 3\n"
            "# HELP vllm:e2e_request_latency_seconds Histogram of e2e request latency in seconds.\n"
            "# TYPE vllm:e2e_request_latency_seconds histogram\n"
            "vllm:e2e_request_latency_seconds_bucket{model_name=\"llama\",le=\"0.1\"} 1\n"
            "vllm:e2e_request_latency_seconds_bucket{model_name=\"llama\",le=\"1\"} 2\n"
            "vllm:e2e_request_latency_seconds_bucket{model_name=\"llama\",le=\"+Inf\"} 3\n"
            "vllm:e2e_request_latency_seconds_sum{model_name=\"llama\"} 2.55\n"
            "vllm:e2e_request_latency_seconds_count{model_name=\"llama\"} 3\n");
}

TEST(Prometheus, ChildrenOfAFamilyShareItsHeaderInRegistrationOrder) {
  Registry r;
  r.counter("req_total", "Requests.", {{"reason", "stop"}}).inc();
  r.counter("req_total", "Requests.", {{"reason", "length"}}).inc(2);
  EXPECT_EQ(r.render(),
            "# HELP req_total Requests.\n"
            "# TYPE req_total counter\n"
            "req_total{reason=\"stop\"} 1\n"
            "req_total{reason=\"length\"} 2\n");
}

TEST(Prometheus, HistogramWithoutLabelsHasOnlyLeOnBuckets) {
  Registry r;
  const std::vector<double> bounds = {1};
  r.histogram("h", "H.", bounds).observe(1);
  EXPECT_EQ(r.render(),
            "# HELP h H.\n# TYPE h histogram\n"
            "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n");
}

TEST(Prometheus, EmptyRegistryRendersNothing) {
  EXPECT_EQ(Registry().render(), "");
}

TEST(Prometheus, LabelValuesEscapeBackslashQuoteAndNewline) {
  Registry r;
  r.gauge("g", "G.", {{"path", "a\\b\"c\nd"}}).set(1);
  EXPECT_NE(r.render().find("g{path=\"a\\\\b\\\"c\\nd\"} 1\n"), std::string::npos) << r.render();
}

TEST(Prometheus, HelpEscapesBackslashAndNewlineButNotQuotes) {
  Registry r;
  r.gauge("g", "a \"b\" c\\d\ne").set(0);
  EXPECT_EQ(r.render().substr(0, r.render().find('\n') + 1), "# HELP g a \"b\" c\\\\d\\ne\n");
}

TEST(Prometheus, ObservationOnABoundCountsInThatBucket) {
  const std::vector<double> bounds = {1, 2};
  Histogram h(bounds);
  h.observe(1);
  EXPECT_EQ(h.snapshot().cumulative, (std::vector<std::uint64_t>{1, 1, 1}));
}

TEST(Prometheus, BucketsAreCumulativeAndCountIsTheInfBucket) {
  const std::vector<double> bounds = {0.01, 0.1, 1, 10};
  Histogram h(bounds);
  std::mt19937 rng(3);
  std::lognormal_distribution<double> dist(-1, 2);
  std::vector<double> seen;
  for (int i = 0; i < 5000; ++i) {
    seen.push_back(dist(rng));
    h.observe(seen.back());
  }
  const Histogram::Snapshot s = h.snapshot();
  ASSERT_EQ(s.cumulative.size(), bounds.size() + 1);
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    const auto at_most = static_cast<std::uint64_t>(
        std::count_if(seen.begin(), seen.end(), [&](double v) { return v <= bounds[i]; }));
    EXPECT_EQ(s.cumulative[i], at_most) << "le=" << bounds[i];
    if (i > 0) {
      EXPECT_LE(s.cumulative[i - 1], s.cumulative[i]);
    }
  }
  EXPECT_EQ(s.cumulative.back(), 5000u);
  EXPECT_EQ(s.count, s.cumulative.back());
  double sum = 0;
  for (double v : seen) sum += v;
  EXPECT_DOUBLE_EQ(s.sum, sum);
}

TEST(Prometheus, AGivenInfBoundIsImplied) {
  const std::vector<double> bounds = {1, INFINITY};
  EXPECT_EQ(Histogram(bounds).bounds(), std::vector<double>{1});
}

TEST(Prometheus, UnsortedBoundsAreAnError) {
  const std::vector<double> bounds = {2, 1};
  EXPECT_THROW(Histogram h(bounds), Error);
}

TEST(Prometheus, RepeatedBoundsAreAnError) {
  const std::vector<double> bounds = {1, 1};
  EXPECT_THROW(Histogram h(bounds), Error);
}

TEST(Prometheus, NanBoundIsAnError) {
  const std::vector<double> bounds = {NAN};
  EXPECT_THROW(Histogram h(bounds), Error);
}

TEST(Prometheus, MetricNamesFollowTheGrammar) {
  EXPECT_TRUE(is_valid_metric_name("vllm:num_requests_running"));
  EXPECT_TRUE(is_valid_metric_name("_x:1"));
  EXPECT_FALSE(is_valid_metric_name(""));
  EXPECT_FALSE(is_valid_metric_name("1abc"));
  EXPECT_FALSE(is_valid_metric_name("a-b"));
  EXPECT_FALSE(is_valid_metric_name("a b"));
}

TEST(Prometheus, LabelNamesFollowTheGrammar) {
  EXPECT_TRUE(is_valid_label_name("model_name"));
  EXPECT_FALSE(is_valid_label_name("__name__"));
  EXPECT_FALSE(is_valid_label_name("1a"));
  EXPECT_FALSE(is_valid_label_name("a:b"));
  EXPECT_FALSE(is_valid_label_name(""));
}

TEST(Prometheus, InvalidMetricNameIsAnError) {
  Registry r;
  EXPECT_THROW(r.counter("bad-name", "x"), Error);
}

TEST(Prometheus, InvalidLabelNameIsAnError) {
  Registry r;
  EXPECT_THROW(r.counter("c", "x", {{"__reserved", "v"}}), Error);
}

TEST(Prometheus, LeLabelOnAHistogramIsAnError) {
  Registry r;
  const std::vector<double> bounds = {1};
  EXPECT_THROW(r.histogram("h", "x", bounds, {{"le", "1"}}), Error);
  EXPECT_NO_THROW(r.counter("c", "x", {{"le", "1"}}));
}

TEST(Prometheus, RepeatedLabelNameIsAnError) {
  Registry r;
  EXPECT_THROW(r.counter("c", "x", {{"a", "1"}, {"a", "2"}}), Error);
}

TEST(Prometheus, SameNameAndLabelsGiveTheSameChild) {
  Registry r;
  Counter& a = r.counter("c", "x", {{"k", "v"}});
  Counter& b = r.counter("c", "x", {{"k", "v"}});
  EXPECT_EQ(&a, &b);
}

TEST(Prometheus, SameNameWithAnotherTypeIsAnError) {
  Registry r;
  (void)r.counter("m", "x");
  EXPECT_THROW(r.gauge("m", "x"), Error);
}

TEST(Prometheus, SameNameWithAnotherHelpIsAnError) {
  Registry r;
  (void)r.counter("m", "x");
  EXPECT_THROW(r.counter("m", "y"), Error);
}

TEST(Prometheus, SameNameWithOtherLabelNamesIsAnError) {
  Registry r;
  (void)r.counter("m", "x", {{"a", "1"}});
  EXPECT_THROW(r.counter("m", "x", {{"b", "1"}}), Error);
}

TEST(Prometheus, SameNameWithOtherBucketsIsAnError) {
  Registry r;
  const std::vector<double> one = {1};
  const std::vector<double> two = {2};
  (void)r.histogram("h", "x", one);
  EXPECT_THROW(r.histogram("h", "x", two), Error);
}

TEST(Prometheus, CounterCannotGoDown) {
  Counter c;
  EXPECT_THROW(c.inc(-1), Error);
  EXPECT_THROW(c.inc(NAN), Error);
  EXPECT_EQ(c.value(), 0);
}

TEST(Prometheus, GaugeSetsIncreasesAndDecreases) {
  Gauge g;
  g.set(5);
  g.inc(2);
  g.dec(0.5);
  EXPECT_EQ(g.value(), 6.5);
}

TEST(Prometheus, ValuesUseTheShortestRoundTripForm) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(1), "1");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(format_value(1e6), "1e+06");
  EXPECT_EQ(format_value(123456), "123456");
  EXPECT_EQ(format_value(-2.5), "-2.5");
  EXPECT_EQ(format_value(INFINITY), "+Inf");
  EXPECT_EQ(format_value(-INFINITY), "-Inf");
  EXPECT_EQ(format_value(NAN), "NaN");
}

TEST(Prometheus, ChildReferencesStayValidAsTheRegistryGrows) {
  Registry r;
  Counter& first = r.counter("first_total", "x", {{"i", "0"}});
  for (int i = 1; i < 200; ++i) {
    (void)r.counter("first_total", "x", {{"i", std::to_string(i)}});
    (void)r.gauge("g" + std::to_string(i), "x");
  }
  first.inc(7);
  EXPECT_NE(r.render().find("first_total{i=\"0\"} 7\n"), std::string::npos);
}

// The _count and +Inf bucket lines of histogram `name` in `text`.
std::pair<std::string, std::string> count_and_inf(const std::string& text,
                                                  const std::string& name) {
  std::istringstream in(text);
  std::string line;
  std::string count;
  std::string inf;
  while (std::getline(in, line)) {
    if (line.rfind(name + "_count ", 0) == 0) count = line.substr(line.find(' ') + 1);
    if (line.rfind(name + "_bucket{le=\"+Inf\"} ", 0) == 0) inf = line.substr(line.find(' ') + 1);
  }
  return {count, inf};
}

TEST(Prometheus, UpdatesFromManyThreadsWhileRenderingAreExact) {
  Registry r;
  Counter& tokens = r.counter("tokens_total", "x");
  Gauge& running = r.gauge("running", "x");
  const std::vector<double> bounds = {0.5};
  Histogram& latency = r.histogram("latency", "x", bounds);
  constexpr int kThreads = 4;
  constexpr int kEach = 20000;
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop.load()) {
      const auto [count, inf] = count_and_inf(r.render(), "latency");
      ASSERT_EQ(count, inf);  // one consistent snapshot per render
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        tokens.inc();
        running.inc();
        running.dec();
        latency.observe((i + t) % 2 == 0 ? 0.25 : 1.0);
      }
    });
  }
  for (std::thread& w : writers) w.join();
  stop = true;
  reader.join();
  EXPECT_EQ(tokens.value(), kThreads * kEach);
  EXPECT_EQ(running.value(), 0);
  const Histogram::Snapshot s = latency.snapshot();
  EXPECT_EQ(s.count, static_cast<std::uint64_t>(kThreads * kEach));
  EXPECT_EQ(s.cumulative[0], s.count / 2);
  EXPECT_DOUBLE_EQ(s.sum, kThreads * kEach / 2 * (0.25 + 1.0));
}

}  // namespace
}  // namespace odma::server::prometheus
