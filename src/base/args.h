// A small, strict command-line parser: "--name value", "--name=value", "--flag", positionals.
// Unknown or malformed flags are errors (odma::Error) so typos never silently use defaults.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace odma {

class Args {
 public:
  // `flags` lists the boolean switches (they take no value); every other "--x" takes a value.
  Args(const std::vector<std::string>& argv, const std::set<std::string>& flags = {});

  bool has(const std::string& name) const;
  std::optional<std::string> get(const std::string& name) const;
  std::string get_or(const std::string& name, const std::string& fallback) const;
  double get_double(const std::string& name, double fallback) const;
  long long get_int(const std::string& name, long long fallback) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

  // Throws odma::Error if any option outside `known` and the constructor's `flags` was given
  // (call after reading options). The flags count as known, so the two lists cannot disagree.
  void reject_unknown(const std::set<std::string>& known) const;

 private:
  std::map<std::string, std::string> values_;
  std::vector<std::string> positionals_;
  std::set<std::string> flags_;
};

// "1073741824", "512MiB", "2GiB", "1.5G", "64k" → bytes (k/M/G/T are powers of 1024, as
// vLLM's and llama.cpp's memory flags read them; an "iB" or "B" suffix is optional). Throws
// odma::Error naming `what` for anything else or a value < 1 byte.
long long parse_bytes(const std::string& text, const std::string& what);

}  // namespace odma
