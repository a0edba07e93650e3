// Tool call ids in OpenAI's shape, "call_" + 24 ASCII letters and digits (vLLM writes
// "chatcmpl-tool-" + 32 hex digits; clients only echo the id back, so either works).
//
//   chars  0..12   drawn from splitmix64 seeded with n, only so that the whole id looks random
//   chars 13..23   base62 of splitmix64_finalizer(n): a bijection of 64-bit words, so distinct n
//                  give distinct ids by construction
#pragma once

#include <cstdint>
#include <string>

namespace odma::server {

[[nodiscard]] std::string make_tool_call_id(std::uint64_t n);

// make_tool_call_id(counter + a per-process random salt), counter = 0, 1, 2, ... (one atomic):
// unique within a process, and different from run to run. Thread-safe.
[[nodiscard]] std::string next_tool_call_id();

}  // namespace odma::server
