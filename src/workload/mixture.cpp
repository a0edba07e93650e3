// Mixtures and drift schedules over request sources.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "base/error.h"
#include "workload/workload.h"

namespace odma::workload {
namespace {

// Draws a source's requests without replacement in a seeded random order, reshuffling for each
// further pass; repeats get "#<pass>" appended to their id so ids stay unique.
class Pool {
 public:
  Pool(Trace source, SplitMix64& rng) : source_(std::move(source)), rng_(rng) {
    if (source_.requests.empty()) throw Error("source '" + source_.name + "' has no requests");
    order_.reserve(source_.requests.size());
    for (std::size_t i = 0; i < source_.requests.size(); ++i) order_.push_back(i);
    shuffle(order_, rng_);
  }

  std::int32_t block_tokens() const { return source_.block_tokens; }

  TraceRequest draw() {
    if (next_ == order_.size()) {
      ++pass_;
      next_ = 0;
      shuffle(order_, rng_);
    }
    TraceRequest r = source_.requests[order_[next_++]];
    if (pass_ > 0) r.id += "#" + std::to_string(pass_);
    r.arrival_s = 0;
    return r;
  }

 private:
  Trace source_;
  SplitMix64& rng_;
  std::vector<std::size_t> order_;
  std::size_t next_ = 0;
  std::size_t pass_ = 0;
};

// Pools are created on first use, in a fixed order, so the rng stream is reproducible.
class Pools {
 public:
  Pools(std::optional<Split> split, SplitMix64& rng) : split_(split), rng_(rng) {}
  Pool& get(const std::string& source) {
    auto it = pools_.find(source);
    if (it == pools_.end())
      it = pools_.emplace(source, Pool(source_trace(source, split_), rng_)).first;
    return it->second;
  }

  // The block size of the sources with prefix blocks (0 if none); one size per trace.
  std::int32_t block_tokens() const {
    std::int32_t b = 0;
    for (const auto& [name, pool] : pools_) {
      if (pool.block_tokens() == 0) continue;
      if (b != 0 && b != pool.block_tokens())
        throw Error("sources with different prefix block sizes cannot share a trace");
      b = pool.block_tokens();
    }
    return b;
  }

 private:
  std::optional<Split> split_;
  SplitMix64& rng_;
  std::map<std::string, Pool> pools_;
};

// Largest-remainder apportionment: Σ result = count and |result_i − count·w_i/Σw| < 1.
std::vector<std::size_t> apportion(const std::vector<double>& weights, std::size_t count) {
  double total = 0;
  for (double w : weights) total += w;
  std::vector<std::size_t> out(weights.size());
  std::vector<std::pair<double, std::size_t>> remainders;
  std::size_t given = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const double exact = static_cast<double>(count) * weights[i] / total;
    out[i] = static_cast<std::size_t>(std::floor(exact));
    given += out[i];
    remainders.push_back({exact - std::floor(exact), i});
  }
  // Larger remainder first; ties go to the earlier component (stable, deterministic).
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t k = 0; given < count; ++k, ++given)
    ++out[remainders[k % remainders.size()].second];
  return out;
}

}  // namespace

std::vector<MixComponent> parse_mixture(const std::string& spec) {
  std::vector<MixComponent> out;
  std::set<std::string> seen;
  const auto known = source_names();
  std::size_t start = 0;
  while (start <= spec.size()) {
    std::size_t end = spec.find(',', start);
    if (end == std::string::npos) end = spec.size();
    const std::string item = spec.substr(start, end - start);
    start = end + 1;
    if (item.empty()) throw Error("mixture '" + spec + "': empty component");
    MixComponent c;
    const std::size_t colon = item.find(':');
    c.source = item.substr(0, colon);
    if (colon != std::string::npos) {
      const std::string w = item.substr(colon + 1);
      char* stop = nullptr;
      c.weight = std::strtod(w.c_str(), &stop);
      if (w.empty() || *stop != '\0')
        throw Error("mixture '" + spec + "': weight '" + w + "' is not a number");
    }
    if (!std::isfinite(c.weight) || c.weight <= 0) {
      throw Error("mixture '" + spec + "': weight of '" + c.source + "' must be > 0");
    }
    if (std::find(known.begin(), known.end(), c.source) == known.end()) {
      throw Error("mixture '" + spec + "': unknown source '" + c.source + "'");
    }
    if (!seen.insert(c.source).second)
      throw Error("mixture '" + spec + "': '" + c.source + "' given twice");
    out.push_back(c);
  }
  return out;
}

Trace make_mixture(const std::vector<MixComponent>& components, std::size_t count,
                   std::optional<Split> split, std::uint64_t seed) {
  if (components.empty()) throw Error("mixture: no components");
  std::vector<double> weights;
  std::string name = "mix(";
  for (const MixComponent& c : components) {
    if (!std::isfinite(c.weight) || c.weight <= 0)
      throw Error("mixture: weight of '" + c.source + "' must be > 0");
    weights.push_back(c.weight);
    char w[32];
    std::snprintf(w, sizeof w, "%g", c.weight);
    name += (weights.size() > 1 ? "," : "") + c.source + ":" + w;
  }
  // Labels: component i repeated counts[i] times, then shuffled into the arrival order.
  const auto counts = apportion(weights, count);
  std::vector<std::size_t> labels;
  labels.reserve(count);
  for (std::size_t i = 0; i < counts.size(); ++i) labels.insert(labels.end(), counts[i], i);
  SplitMix64 rng(seed);
  Pools pools(split, rng);
  for (const MixComponent& c : components) (void)pools.get(c.source);  // fixed creation order
  shuffle(labels, rng);
  Trace t;
  t.name = name + ")";
  t.requests.reserve(count);
  for (std::size_t label : labels) t.requests.push_back(pools.get(components[label].source).draw());
  t.block_tokens = pools.block_tokens();
  return t;
}

std::vector<std::size_t> drift_phase_starts(std::size_t phases, std::size_t count) {
  std::vector<std::size_t> starts;
  const std::size_t base = phases == 0 ? 0 : count / phases,
                    extra = phases == 0 ? 0 : count % phases;
  for (std::size_t k = 0, at = 0; k < phases; ++k) {
    starts.push_back(at);
    at += base + (k < extra ? 1 : 0);
  }
  return starts;
}

Trace make_drift(const std::vector<std::string>& phases, std::size_t count,
                 std::optional<Split> split, std::uint64_t seed) {
  if (phases.empty()) throw Error("drift: no phases");
  SplitMix64 rng(seed);
  Pools pools(split, rng);
  Trace t;
  t.name = "drift(";
  const std::vector<std::size_t> starts = drift_phase_starts(phases.size(), count);
  for (std::size_t k = 0; k < phases.size(); ++k) {
    t.name += (k > 0 ? "," : "") + phases[k];
    Pool& pool = pools.get(phases[k]);
    const std::size_t end = k + 1 < phases.size() ? starts[k + 1] : count;
    for (std::size_t i = starts[k]; i < end; ++i) t.requests.push_back(pool.draw());
  }
  t.name += ")";
  t.block_tokens = pools.block_tokens();
  return t;
}

}  // namespace odma::workload
