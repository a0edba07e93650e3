// Subcommands of the `odma` binary register themselves with ODMA_COMMAND in their own cmd_*.cpp.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace odma::cli {

using CommandFn = std::function<int(const std::vector<std::string>& args)>;

struct Command {
  std::string summary;  // one line for `odma help`
  CommandFn run;        // returns the process exit code; throws odma::Error on bad input
};

std::map<std::string, Command>& registry();

struct Registrar {
  Registrar(const std::string& name, const std::string& summary, CommandFn fn) {
    registry()[name] = Command{summary, std::move(fn)};
  }
};

}  // namespace odma::cli

#define ODMA_COMMAND(name, summary, fn)                     \
  static const ::odma::cli::Registrar odma_registrar_##fn { \
    name, summary, fn                                       \
  }
