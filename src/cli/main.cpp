// odma: one binary, many subcommands (see `odma help`).
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "base/error.h"
#include "cli/command.h"

namespace odma::cli {

std::map<std::string, Command>& registry() {
  static std::map<std::string, Command> commands;
  return commands;
}

namespace {

void print_help() {
  std::printf(
      "odma — LLM serving with contiguous, on-demand KV memory\n\nusage: odma <command> "
      "[options]\n\n");
  for (const auto& [name, cmd] : registry())
    std::printf("  %-12s %s\n", name.c_str(), cmd.summary.c_str());
  std::printf("\n`odma <command> --help` describes a command's options.\n");
}

}  // namespace
}  // namespace odma::cli

int main(int argc, char** argv) {
  using namespace odma::cli;
  if (argc < 2 || std::string(argv[1]) == "help" || std::string(argv[1]) == "--help") {
    print_help();
    return argc < 2 ? 2 : 0;
  }
  auto it = registry().find(argv[1]);
  if (it == registry().end()) {
    std::fprintf(stderr, "odma: unknown command '%s' (try `odma help`)\n", argv[1]);
    return 2;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  try {
    return it->second.run(args);
  } catch (const odma::Error& e) {
    std::fprintf(stderr, "odma %s: error: %s\n", argv[1], e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "odma %s: internal error: %s\n", argv[1], e.what());
    return 3;
  }
}
