// Errors for bad input (files, flags, formats). Hot-path operations (kv) use statuses instead.
#pragma once

#include <stdexcept>
#include <string>

namespace odma {

// A user-facing error: the message names the file/flag/field and what is wrong with it.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace odma
