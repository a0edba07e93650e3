// What the commands share beyond flag parsing: comma-separated lists (--policies, --dataset) and
// --help texts whose policy list and predictor grammar come from their one definition.
#pragma once

#include <string>
#include <vector>

#include "base/args.h"

namespace odma::cli {

// "a,b,,c" → {"a","b","c"}.
std::vector<std::string> split_list(const std::string& text);

// Empty → every policy; otherwise each name is checked against kv::policy_names() (odma::Error).
std::vector<std::string> parse_policy_list(const std::string& text);

// --enable-prefix-caching / --no-enable-prefix-caching (vLLM's pair of flags; on unless the
// second is given). Both at once: odma::Error.
bool prefix_caching_flag(const Args& args);

// `help` with "{policies}" replaced by the factory's policy names (kv::policy_names_text),
// "{policy_table}" by one line per policy with its summary (kv::policy_infos) and "{predictor}"
// by the --predictor grammar (predict::kPredictorGrammar).
std::string expand_help(std::string help);

}  // namespace odma::cli
