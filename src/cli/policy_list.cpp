#include "cli/policy_list.h"

#include <algorithm>

#include "base/error.h"
#include "kv/policy.h"
#include "predict/predictor_spec.h"

namespace odma::cli {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

std::vector<std::string> parse_policy_list(const std::string& text) {
  const std::vector<std::string> known = kv::policy_names();
  if (text.empty()) return known;
  std::vector<std::string> names = split_list(text);
  for (const std::string& n : names) {
    if (std::find(known.begin(), known.end(), n) == known.end())
      throw Error("unknown policy '" + n + "' (known: " + kv::policy_names_text() + ")");
  }
  return names;
}

std::string expand_help(std::string help) {
  auto replace_all = [&](const std::string& key, const std::string& value) {
    for (std::size_t at = help.find(key); at != std::string::npos; at = help.find(key, at)) {
      help.replace(at, key.size(), value);
      at += value.size();
    }
  };
  replace_all("{policies}", kv::policy_names_text());
  std::string table = "Policies:\n";
  for (const kv::PolicyInfo& p : kv::policy_infos())
    table += "  " + std::string(p.name) + std::string(10 - std::string(p.name).size(), ' ') +
             p.summary + "\n";
  replace_all("{policy_table}", table);
  replace_all("{predictor}", predict::kPredictorGrammar);
  return help;
}

bool prefix_caching_flag(const Args& args) {
  if (args.has("enable-prefix-caching") && args.has("no-enable-prefix-caching"))
    throw Error("--enable-prefix-caching and --no-enable-prefix-caching contradict each other");
  return !args.has("no-enable-prefix-caching");
}

}  // namespace odma::cli
