#include "kv/types.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "base/error.h"
#include "kv/policy.h"

namespace odma::kv {

std::optional<std::int32_t> LengthDistribution::quantile_after(std::int32_t after, double q) const {
  const std::vector<std::int32_t>& e = *edges;
  // The mass of lengths > after (lengths are ≥ 1: after ≤ 0 is all of it, Σp = 1 by construction).
  auto mass_above = [&](std::size_t b) {
    const std::int32_t lo = std::max(after, e[b]);  // lengths lo + 1 .. e[b + 1] count
    if (lo >= e[b + 1]) return 0.0;
    return lo == e[b] ? static_cast<double>(prob[b])
                      : static_cast<double>(prob[b]) * (e[b + 1] - lo) / (e[b + 1] - e[b]);
  };
  double beyond = 1.0;
  if (after > 0) {
    beyond = 0.0;
    for (std::size_t b = 0; b < prob.size(); ++b) beyond += mass_above(b);
    if (!(beyond > 1e-9)) return std::nullopt;
  }
  const double target = std::clamp(q, 0.0, 1.0) * beyond - 1e-9;  // tolerate rounding of Σp
  double before = 0.0;
  for (std::size_t b = 0; b < prob.size(); ++b) {
    const double mass = mass_above(b);
    if (mass > 0 && before + mass >= target) {
      const std::int32_t lo = std::max(after, e[b]);
      // The fraction of this bin's (remaining) mass below the target, in [0, 1]: q = 0 makes the
      // target negative, and a tiny mass would scale far outside int (found by fuzzing).
      const double fraction = std::clamp((target - before) / mass, 0.0, 1.0);
      const auto inside = static_cast<std::int32_t>(std::ceil(fraction * (e[b + 1] - lo)));
      return lo + std::clamp(inside, 1, e[b + 1] - lo);
    }
    before += mass;
  }
  if (e.back() > after) return e.back();
  return std::nullopt;
}

std::string_view to_string(GrowthRule r) {
  return r == GrowthRule::kConditioned ? "conditioned" : "next-bucket";
}

GrowthRule parse_growth_rule(std::string_view s) {
  if (s == "conditioned") return GrowthRule::kConditioned;
  if (s == "next-bucket") return GrowthRule::kNextBucket;
  throw Error("unknown growth rule '" + std::string(s) + "' (conditioned | next-bucket)");
}

std::string_view to_string(Status s) {
  switch (s) {
    case Status::kOk:
      return "ok";
    case Status::kDeferred:
      return "deferred";
    case Status::kGrewInPlace:
      return "grew-in-place";
    case Status::kMigrated:
      return "migrated";
    case Status::kChained:
      return "chained";
    case Status::kPreempted:
      return "preempted";
    case Status::kNoRoom:
      return "no room";
    case Status::kUnknownRequest:
      return "unknown-request";
    case Status::kDuplicateRequest:
      return "duplicate-request";
    case Status::kExceedsModelLimit:
      return "exceeds-model-limit";
    case Status::kNeverFits:
      return "never-fits";
    case Status::kInvalidArgument:
      return "invalid-argument";
  }
  return "?";
}

}  // namespace odma::kv
