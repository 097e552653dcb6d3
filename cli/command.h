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

#include <CLI/CLI.hpp>
#include <functional>
#include <ostream>
#include <utility>

#include "absl/status/status.h"
#include "cli/global_flags.h"

namespace sanji::cli {

// What a leaf subcommand does with its parsed flags: writes its result to
// `out` (errors go in the returned Status, never to `out`).
using Action = std::function<absl::Status(std::ostream& out)>;

// The command line as parsed: the global flags and the chosen leaf's action.
// Actions read `global` when they run, after parsing is complete, so flags
// written after the subcommand count too.
struct Invocation {
  GlobalFlags global;
  Action action;
};

// What a node-facing leaf does: runs with the global flags as parsed.
using NodeAction = std::function<absl::Status(const GlobalFlags& global, std::ostream& out)>;

// Makes `command` a leaf that, when chosen, runs `run`.
// REQUIRES: `invocation` outlives the parse and the action's run.
inline void SetNodeAction(CLI::App& command, Invocation& invocation, NodeAction run) {
  command.callback([&invocation, run = std::move(run)] {
    invocation.action = [&invocation, run](std::ostream& out) {
      return run(invocation.global, out);
    };
  });
}

}  // namespace sanji::cli

#endif  // SANJI_CLI_COMMAND_H_
