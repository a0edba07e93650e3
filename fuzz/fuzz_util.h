// Shared by the fuzz targets (one parser each, fuzz/README.md). A broken property aborts with a
// message, which libFuzzer records as a crash and minimises like any other.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/error.h"

namespace odma::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

[[noreturn]] inline void fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz property violated: %s\n%.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

inline void check(bool ok, const char* what, std::string_view detail = {}) {
  if (!ok) fail(what, detail);
}

// Runs `parse`; an odma::Error is the expected answer to bad bytes, and its message must name
// `source` (the file) so a user can find the fault. Any other exception escapes and crashes: a
// parser that leaks a std::out_of_range or a nlohmann type_error has a missing check.
// Returns true when `parse` succeeded.
template <typename Fn>
bool parses(const std::string& source, Fn&& parse) {
  try {
    parse();
    return true;
  } catch (const Error& e) {
    check(std::string_view(e.what()).find(source) != std::string_view::npos,
          "error message does not name the file", e.what());
    return false;
  }
}

}  // namespace odma::fuzz
