// Parsing of comma-separated lists shared by the commands (--policies, --dataset).
#pragma once

#include <string>
#include <vector>

namespace odma::cli {

// "a,b,,c" → {"a","b","c"}.
std::vector<std::string> split_list(const std::string& text);

// Empty → every policy; otherwise each name is checked against kv::policy_names() (odma::Error).
std::vector<std::string> parse_policy_list(const std::string& text);

}  // namespace odma::cli
