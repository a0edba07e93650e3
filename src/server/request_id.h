// Response ids: "chatcmpl-" or "cmpl-" followed by 32 lowercase hex digits, the form of vLLM's
// f"chatcmpl-{random_uuid()}" (uuid4().hex).
//
//   bits 127..64   a per-process salt from std::random_device
//   bits  63..0    splitmix64_finalizer(counter + salt2), counter = 0, 1, 2, ... (one atomic)
//
// The finaliser (xor-shift, multiply by an odd constant, twice, then xor-shift) is a bijection of
// 64-bit words, so distinct counter values give distinct ids: unique within a process for 2^64
// ids, by construction rather than by chance; the salt makes ids of different runs differ.
// Thread-safe (the counter is atomic; the salt is a function-local static).
#pragma once

#include <string>
#include <string_view>

namespace odma::server {

[[nodiscard]] std::string make_response_id(std::string_view prefix);
[[nodiscard]] std::string chat_completion_id();  // "chatcmpl-<32 hex>"
[[nodiscard]] std::string completion_id();       // "cmpl-<32 hex>"

}  // namespace odma::server
