#include "grammar/integer_range.h"

#include <string>
#include <vector>

namespace odma::grammar {

namespace {

Frag digit(GraphBuilder& b, char lo, char hi) {
  return b.byte_range(static_cast<std::uint8_t>(lo), static_cast<std::uint8_t>(hi));
}

Frag any_digits(GraphBuilder& b, std::size_t n) {
  std::vector<Frag> parts;
  for (std::size_t i = 0; i < n; ++i) parts.push_back(digit(b, '0', '9'));
  return b.seq(parts);
}

bool all_of(std::string_view s, char c) {
  return s.find_first_not_of(c) == std::string_view::npos;
}

// Digit strings of one length between x and y (x <= y), inclusive. Each first digit is tried
// once, so the paths stay deterministic.
Frag fixed_length(GraphBuilder& b, std::string_view x, std::string_view y) {
  if (x.empty()) return b.empty();
  std::string_view xr = x.substr(1), yr = y.substr(1);
  if (x[0] == y[0]) return b.seq({digit(b, x[0], x[0]), fixed_length(b, xr, yr)});
  std::vector<Frag> options;
  char lo = x[0], hi = y[0];
  if (!all_of(xr, '0')) {
    options.push_back(
        b.seq({digit(b, x[0], x[0]), fixed_length(b, xr, std::string(xr.size(), '9'))}));
    ++lo;
  }
  bool y_full = all_of(yr, '9');
  if (!y_full) --hi;
  if (lo <= hi) options.push_back(b.seq({digit(b, lo, hi), any_digits(b, xr.size())}));
  if (!y_full) {
    options.push_back(
        b.seq({digit(b, y[0], y[0]), fixed_length(b, std::string(yr.size(), '0'), yr)}));
  }
  return b.alt(options);
}

// Non-negative integers from lo to hi (nullopt: unbounded).
Frag magnitude_range(GraphBuilder& b, std::uint64_t lo, std::optional<std::uint64_t> hi) {
  if (hi && lo > *hi) return b.dead();
  std::string a = std::to_string(lo);
  std::size_t last = hi ? std::to_string(*hi).size() : a.size();
  std::vector<Frag> options;
  for (std::size_t len = a.size(); len <= last; ++len) {
    std::string x = len == a.size() ? a : "1" + std::string(len - 1, '0');
    std::string y = hi && len == last ? std::to_string(*hi) : std::string(len, '9');
    options.push_back(fixed_length(b, x, y));
  }
  if (!hi) {  // every longer number
    options.push_back(
        b.seq({digit(b, '1', '9'), any_digits(b, a.size()), b.star(digit(b, '0', '9'))}));
  }
  return b.alt(options);
}

// |v| for a negative v, without overflowing at INT64_MIN.
std::uint64_t magnitude(std::int64_t v) {
  return static_cast<std::uint64_t>(-(v + 1)) + 1;
}

}  // namespace

Frag integer_range(GraphBuilder& b, std::optional<std::int64_t> lo,
                   std::optional<std::int64_t> hi) {
  if (lo && hi && *lo > *hi) return b.dead();
  std::vector<Frag> options;
  if (!lo || *lo < 0) {  // negatives: "-" then a magnitude of at least 1
    std::uint64_t mag_lo = hi && *hi < 0 ? magnitude(*hi) : 1;
    std::optional<std::uint64_t> mag_hi;
    if (lo) mag_hi = magnitude(*lo);
    options.push_back(b.seq({b.literal("-"), magnitude_range(b, mag_lo, mag_hi)}));
  }
  if (!hi || *hi >= 0) {
    std::optional<std::uint64_t> mag_hi;
    if (hi) mag_hi = static_cast<std::uint64_t>(*hi);
    options.push_back(
        magnitude_range(b, lo && *lo > 0 ? static_cast<std::uint64_t>(*lo) : 0, mag_hi));
  }
  return b.alt(options);
}

}  // namespace odma::grammar
