#include "server/prometheus.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "base/error.h"

namespace odma::server::prometheus {
namespace {

bool is_alpha_(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// \ → \\ and newline → \n; quotes too when `quotes` (label values, not help text).
std::string escape(std::string_view s, bool quotes) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

// {a="x",b="y"}, with `extra` (le="...") last; "" when there are no labels at all.
std::string label_text(const std::vector<std::string>& names,
                       const std::vector<std::string>& values, std::string_view extra = "") {
  if (names.empty() && extra.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i] + "=\"" + escape_label_value(values[i]) + "\"";
  }
  if (!extra.empty()) {
    if (!names.empty()) out += ',';
    out += extra;
  }
  return out + "}";
}

std::vector<double> checked_bounds(std::span<const double> bounds) {
  std::vector<double> out(bounds.begin(), bounds.end());
  if (!out.empty() && out.back() == INFINITY) out.pop_back();
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (!std::isfinite(out[i]) || (i > 0 && !(out[i - 1] < out[i]))) {
      throw Error("prometheus: histogram bounds must be finite and strictly increasing");
    }
  }
  return out;
}

}  // namespace

void Counter::inc(double v) {
  if (!(v >= 0.0))
    throw Error("prometheus: a counter cannot decrease (inc by " + format_value(v) + ")");
  value_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(checked_bounds(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double v) {
  // NaN compares false with every bound, so it lands in +Inf (and makes the sum NaN).
  const auto bucket = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) -
                                               bounds_.begin());
  const std::lock_guard lock(mu_);
  ++counts_[bucket];
  sum_ += v;
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.bounds = bounds_;
  s.cumulative.reserve(counts_.size());
  const std::lock_guard lock(mu_);
  std::uint64_t total = 0;
  for (const std::uint64_t c : counts_) s.cumulative.push_back(total += c);
  s.sum = sum_;
  s.count = total;
  return s;
}

enum class Registry::Type : std::uint8_t { kCounter, kGauge, kHistogram };

struct Registry::Child {
  std::vector<std::string> values;
  std::unique_ptr<Counter> counter;
  std::unique_ptr<Gauge> gauge;
  std::unique_ptr<Histogram> histogram;
};

struct Registry::Family {
  std::string name;
  std::string help;
  Type type;
  std::vector<std::string> label_names;
  std::vector<double> bounds;                    // histograms
  std::vector<std::unique_ptr<Child>> children;  // unique_ptr: references outlive vector growth
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Child& Registry::child(std::string_view name, std::string_view help, Type type,
                                 const Labels& labels, std::span<const double> buckets) {
  const std::string where = "prometheus: metric `" + std::string(name) + "`";
  if (!is_valid_metric_name(name)) throw Error(where + ": not a valid metric name");
  std::vector<std::string> names;
  std::vector<std::string> values;
  for (const auto& [label, value] : labels) {
    if (!is_valid_label_name(label) || (type == Type::kHistogram && label == "le")) {
      throw Error(where + ": `" + label + "` is not a valid label name");
    }
    if (std::find(names.begin(), names.end(), label) != names.end()) {
      throw Error(where + ": label `" + label + "` given twice");
    }
    names.push_back(label);
    values.push_back(value);
  }
  const std::vector<double> bounds =
      type == Type::kHistogram ? checked_bounds(buckets) : std::vector<double>();

  const std::lock_guard lock(mu_);
  auto it = std::find_if(families_.begin(), families_.end(),
                         [&](const auto& f) { return f->name == name; });
  if (it == families_.end()) {
    families_.push_back(std::make_unique<Family>(
        Family{std::string(name), std::string(help), type, names, bounds, {}}));
    it = families_.end() - 1;
  }
  Family& family = **it;
  if (family.type != type || family.help != help || family.label_names != names ||
      family.bounds != bounds) {
    throw Error(where + ": registered again with another type, help, label names or buckets");
  }
  for (const auto& c : family.children) {
    if (c->values == values) return *c;
  }
  auto c = std::make_unique<Child>();
  c->values = std::move(values);
  if (type == Type::kCounter) c->counter = std::make_unique<Counter>();
  if (type == Type::kGauge) c->gauge = std::make_unique<Gauge>();
  if (type == Type::kHistogram) c->histogram = std::make_unique<Histogram>(bounds);
  family.children.push_back(std::move(c));
  return *family.children.back();
}

Counter& Registry::counter(std::string_view name, std::string_view help, const Labels& labels) {
  return *child(name, help, Type::kCounter, labels, {}).counter;
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  return *child(name, help, Type::kGauge, labels, {}).gauge;
}

Histogram& Registry::histogram(std::string_view name, std::string_view help,
                               std::span<const double> buckets, const Labels& labels) {
  return *child(name, help, Type::kHistogram, labels, buckets).histogram;
}

std::string Registry::render() const {
  static constexpr std::string_view kTypeNames[] = {"counter", "gauge", "histogram"};
  const std::lock_guard lock(mu_);
  std::string out;
  for (const auto& f : families_) {
    out += "# HELP " + f->name + " " + escape(f->help, /*quotes=*/false) + "\n";
    out += "# TYPE " + f->name + " ";
    out += kTypeNames[static_cast<std::size_t>(f->type)];
    out += "\n";
    for (const auto& c : f->children) {
      const std::string labels = label_text(f->label_names, c->values);
      if (c->counter) out += f->name + labels + " " + format_value(c->counter->value()) + "\n";
      if (c->gauge) out += f->name + labels + " " + format_value(c->gauge->value()) + "\n";
      if (!c->histogram) continue;
      const Histogram::Snapshot s = c->histogram->snapshot();
      for (std::size_t i = 0; i < s.cumulative.size(); ++i) {
        const std::string le =
            "le=\"" + (i < s.bounds.size() ? format_value(s.bounds[i]) : "+Inf") + "\"";
        out += f->name + "_bucket" + label_text(f->label_names, c->values, le) + " " +
               std::to_string(s.cumulative[i]) + "\n";
      }
      out += f->name + "_sum" + labels + " " + format_value(s.sum) + "\n";
      out += f->name + "_count" + labels + " " + std::to_string(s.count) + "\n";
    }
  }
  return out;
}

bool is_valid_metric_name(std::string_view name) {
  if (name.empty() || !(is_alpha_(name[0]) || name[0] == ':')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return is_alpha_(c) || is_digit(c) || c == ':'; });
}

bool is_valid_label_name(std::string_view name) {
  if (name.empty() || !is_alpha_(name[0]) || name.substr(0, 2) == "__") return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return is_alpha_(c) || is_digit(c); });
}

std::string escape_label_value(std::string_view value) {
  return escape(value, /*quotes=*/true);
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

}  // namespace odma::server::prometheus
