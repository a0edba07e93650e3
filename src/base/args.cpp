#include "base/args.h"

#include <cerrno>
#include <cstdlib>

#include "base/error.h"

namespace odma {

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& flags)
    : flags_(flags) {
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.size() < 3 || a.rfind("--", 0) != 0) {
      positionals_.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::string value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (flags.count(name) != 0) {
      value = "true";
    } else {
      if (i + 1 >= argv.size()) throw Error("option --" + name + " needs a value");
      value = argv[++i];
    }
    values_[name] = value;
  }
}

bool Args::has(const std::string& name) const {
  return values_.count(name) != 0;
}

std::optional<std::string> Args::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Args::get_or(const std::string& name, const std::string& fallback) const {
  return get(name).value_or(fallback);
}

double Args::get_double(const std::string& name, double fallback) const {
  auto v = get(name);
  if (!v) return fallback;
  char* end = nullptr;
  errno = 0;
  double d = std::strtod(v->c_str(), &end);
  if (v->empty() || *end != '\0' || errno != 0) throw Error("--" + name + ": not a number: " + *v);
  return d;
}

long long Args::get_int(const std::string& name, long long fallback) const {
  auto v = get(name);
  if (!v) return fallback;
  char* end = nullptr;
  errno = 0;
  long long n = std::strtoll(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0' || errno != 0)
    throw Error("--" + name + ": not an integer: " + *v);
  return n;
}

void Args::reject_unknown(const std::set<std::string>& known) const {
  for (const auto& [name, value] : values_) {
    if (known.count(name) == 0 && flags_.count(name) == 0) throw Error("unknown option --" + name);
  }
}

long long parse_bytes(const std::string& text, const std::string& what) {
  std::size_t used = 0;
  double value = -1;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  std::string unit = text.substr(used);
  if (unit.ends_with("iB") || unit.ends_with("ib")) {
    unit.resize(unit.size() - 2);  // "MiB" → "M"
  } else if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) {
    unit.pop_back();  // "MB" → "M", "B" → ""
  }
  double scale = 1;
  if (unit == "k" || unit == "K")
    scale = 1024.0;
  else if (unit == "m" || unit == "M")
    scale = 1024.0 * 1024;
  else if (unit == "g" || unit == "G")
    scale = 1024.0 * 1024 * 1024;
  else if (unit == "t" || unit == "T")
    scale = 1024.0 * 1024 * 1024 * 1024;
  else if (!unit.empty())
    used = 0;
  const double bytes = value * scale;
  if (used == 0 || !(bytes >= 1) || bytes > 9e18)
    throw Error(what + " must be a size such as 512MiB, 2GiB or a number of bytes (got '" + text +
                "')");
  return static_cast<long long>(bytes);
}

}  // namespace odma
