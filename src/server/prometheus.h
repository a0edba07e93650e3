// A small Prometheus registry, rendered in the text exposition format 0.0.4
// (prometheus.io/docs/instrumenting/exposition_formats/) for GET /metrics.
//
//   # HELP <name> <help>                                      help escapes \ and newline
//   # TYPE <name> counter|gauge|histogram
//   <name>{<label>="<value>",...} <value>                     a counter or gauge child
//   <name>_bucket{<labels>,le="<bound>"} <count ≤ bound>      a histogram child: one line per
//   <name>_bucket{<labels>,le="+Inf"} <count>                 bound, cumulative, then +Inf,
//   <name>_sum{<labels>} <sum of observations>
//   <name>_count{<labels>} <count>                            == the +Inf bucket
//
// Vocabulary: a family is one metric name with one type, one help text and one list of label
// names; a child is the family's series for one list of label values. Families are rendered in the
// order they were registered, each family's children in the order they were first asked for.
//
// Names match [a-zA-Z_:][a-zA-Z0-9_:]*; label names [a-zA-Z_][a-zA-Z0-9_]*, not starting with
// "__" (reserved), and "le" is reserved for histogram buckets. Label values escape \ → \\,
// " → \", newline → \n. Numbers are written in their shortest round-trip form ("1", "0.25",
// "1e+06", as Go's client writes them), or "+Inf", "-Inf", "NaN". Counter names are used as given:
// by convention they end in _total (vLLM's vllm:prompt_tokens is exposed as
// vllm:prompt_tokens_total by prometheus_client). Misuse (a bad name, the same name with another
// type, help, label names or buckets) is an odma::Error at registration.
//
// Threads: registering and rendering hold the registry's mutex; counter and gauge updates are
// atomics; an observation holds its histogram's mutex, so a render never sees a histogram whose
// _count, buckets and _sum disagree. Children live as long as the registry (references stay valid).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace odma::server::prometheus {

// Label names and values, in the order they are rendered.
using Labels = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

class Counter {
 public:
  // `v` ≥ 0: counters only go up (odma::Error otherwise).
  void inc(double v = 1.0);
  [[nodiscard]] double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void inc(double v = 1.0) { value_.fetch_add(v, std::memory_order_relaxed); }
  void dec(double v = 1.0) { value_.fetch_sub(v, std::memory_order_relaxed); }
  [[nodiscard]] double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  // `bounds`: finite, strictly increasing upper bounds; a trailing +Inf is implied (and dropped if
  // given). odma::Error otherwise.
  explicit Histogram(std::span<const double> bounds);

  // Counts `v` in the first bucket whose bound is ≥ v (Prometheus buckets are "le").
  void observe(double v);

  struct Snapshot {
    std::vector<double> bounds;             // without +Inf
    std::vector<std::uint64_t> cumulative;  // observations ≤ bounds[i]; the last entry is +Inf
    double sum = 0.0;
    std::uint64_t count = 0;  // == cumulative.back()
  };
  [[nodiscard]] Snapshot snapshot() const;
  [[nodiscard]] const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::vector<std::uint64_t> counts_;  // per bucket, not cumulative; counts_.back() is (max, +Inf)
  double sum_ = 0.0;
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // The child of family `name` for `labels`, created on first use.
  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& histogram(std::string_view name, std::string_view help,
                       std::span<const double> buckets, const Labels& labels = {});

  // The exposition text of every family (ends with "\n"; "" for an empty registry).
  [[nodiscard]] std::string render() const;

 private:
  struct Family;
  struct Child;
  enum class Type : std::uint8_t;
  Child& child(std::string_view name, std::string_view help, Type type, const Labels& labels,
               std::span<const double> buckets);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Family>> families_;  // in registration order
};

[[nodiscard]] bool is_valid_metric_name(std::string_view name);
[[nodiscard]] bool is_valid_label_name(std::string_view name);
// \ → \\, " → \", newline → \n.
[[nodiscard]] std::string escape_label_value(std::string_view value);
// Shortest round-trip decimal, or +Inf, -Inf, NaN.
[[nodiscard]] std::string format_value(double v);

}  // namespace odma::server::prometheus
