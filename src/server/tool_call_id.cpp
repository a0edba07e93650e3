#include "server/tool_call_id.h"

#include <atomic>
#include <random>

#include "base/rng.h"

namespace odma::server {
namespace {

constexpr char kDigits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// splitmix64's output function: invertible, so it maps distinct inputs to distinct outputs.
std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

std::string make_tool_call_id(std::uint64_t n) {
  std::string id = "call_";
  SplitMix64 rng(n);
  for (int i = 0; i < 13; ++i) id += kDigits[rng.below(62)];
  // 11 base-62 digits hold any 64-bit word (62^11 > 2^64).
  std::uint64_t v = mix(n);
  std::string tail(11, '0');
  for (std::size_t i = tail.size(); i > 0; --i, v /= 62) tail[i - 1] = kDigits[v % 62];
  return id + tail;
}

std::string next_tool_call_id() {
  static const std::uint64_t salt = [] {
    std::random_device rd;
    return (std::uint64_t{rd()} << 32) ^ std::uint64_t{rd()};
  }();
  static std::atomic<std::uint64_t> counter{0};
  return make_tool_call_id(counter.fetch_add(1, std::memory_order_relaxed) + salt);
}

}  // namespace odma::server
