// The command tree of sanjictl (Kudu's tool_action.h, with CLI11 as the
// parser). Each subcommand file registers its subcommands on a parent
// CLI::App; when CLI11 parses a leaf subcommand, the leaf's callback stores
// its Action in the Invocation, and main runs it once parsing is done, then
// maps its Status to the exit code (cli/exit_code.h). Handlers never exit
// the process or print errors themselves: one place does that.
//
// Thread-safety: single-threaded, as is a command line.
#ifndef SANJI_CLI_COMMAND_H_
#define SANJI_CLI_COMMAND_H_

#include <functional>
#include <ostream>

#include "absl/status/status.h"

namespace sanji::cli {

// What a leaf subcommand does with its parsed flags: writes its result to
// `out` (errors go in the returned Status, never to `out`).
using Action = std::function<absl::Status(std::ostream& out)>;

// The leaf subcommand chosen by parsing the command line.
struct Invocation {
  Action action;
};

}  // namespace sanji::cli

#endif  // SANJI_CLI_COMMAND_H_
