#include "server/request_id.h"

#include <atomic>
#include <cstdint>
#include <random>

namespace odma::server {
namespace {

struct Salt {
  std::uint64_t hi;
  std::uint64_t lo;
};

const Salt& process_salt() {
  static const Salt salt = [] {
    std::random_device rd;
    const auto word = [&] { return (std::uint64_t{rd()} << 32) ^ std::uint64_t{rd()}; };
    return Salt{word(), word()};
  }();
  return salt;
}

// splitmix64's output function: invertible, so it maps distinct inputs to distinct outputs.
std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void append_hex(std::string& out, std::uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int shift = 60; shift >= 0; shift -= 4) out += kDigits[(v >> shift) & 0xFu];
}

}  // namespace

std::string make_response_id(std::string_view prefix) {
  static std::atomic<std::uint64_t> counter{0};
  const Salt& salt = process_salt();
  const std::uint64_t n = counter.fetch_add(1, std::memory_order_relaxed);
  std::string id(prefix);
  id.reserve(prefix.size() + 32);
  append_hex(id, salt.hi);
  append_hex(id, mix(n + salt.lo));
  return id;
}

std::string chat_completion_id() {
  return make_response_id("chatcmpl-");
}
std::string completion_id() {
  return make_response_id("cmpl-");
}

}  // namespace odma::server
