// The debug level, one switch for the whole build (as mimalloc's MI_DEBUG), set by the CMake option
// ODMA_DEBUG:
//   0  release: inputs are still checked (odma::Error, statuses), internals are trusted
//   1  + cheap internal asserts (ODMA_ASSERT): O(1) preconditions on hot paths
//   2  + the KV validator after every session operation (kv/session.h): O(live log live) per step
// The test command and the sanitizer job build with 2; `odma bench` and releases with 0.
#pragma once

#include <cstdio>
#include <cstdlib>

#ifndef ODMA_DEBUG_LEVEL
#define ODMA_DEBUG_LEVEL 0
#endif

namespace odma {

inline constexpr int kDebugLevel = ODMA_DEBUG_LEVEL;

[[noreturn]] inline void assert_failed(const char* cond, const char* file, int line) {
  std::fprintf(stderr, "odma: internal assertion failed: %s (%s:%d)\n", cond, file, line);
  std::abort();
}

}  // namespace odma

// An internal invariant (never bad input: that gets odma::Error or a status). Checked at level
// >= 1.
#define ODMA_ASSERT(cond)                                            \
  do {                                                               \
    if constexpr (::odma::kDebugLevel >= 1) {                        \
      if (!(cond)) ::odma::assert_failed(#cond, __FILE__, __LINE__); \
    }                                                                \
  } while (false)
