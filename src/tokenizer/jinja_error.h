// Errors inside the template engine. They carry a byte offset into the template source;
// ChatTemplate turns them into odma::Error with "line L:C" so the user can find the spot.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace odma::tokenizer::jinja {

class TemplateError : public std::runtime_error {
 public:
  TemplateError(std::uint32_t pos, const std::string& message)
      : std::runtime_error(message), pos_(pos) {}
  std::uint32_t pos() const { return pos_; }

 private:
  std::uint32_t pos_;  // byte offset in the original template source
};

// An error from value operations or builtins, which do not know where in the template they run;
// the evaluator rethrows it as a TemplateError at the node being evaluated.
class ValueError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "line L:C" for a byte offset: 1-based line, 1-based column counted in code points.
std::string describe_location(std::string_view source, std::uint32_t pos);

}  // namespace odma::tokenizer::jinja
