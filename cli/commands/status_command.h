// `sanjictl status`: the node's identity, knowledge and sync links
// (AdminService.Status), as tables or, with --json, the NodeStatus message.
//
// Thread-safety: single-threaded (see cli/command.h).
#ifndef SANJI_CLI_COMMANDS_STATUS_COMMAND_H_
#define SANJI_CLI_COMMANDS_STATUS_COMMAND_H_

#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace sanji::cli {

// Adds `status` under `parent`.
// REQUIRES: `invocation` outlives the parse of `parent` and the action run.
void RegisterStatusCommand(CLI::App& parent, Invocation& invocation);

}  // namespace sanji::cli

#endif  // SANJI_CLI_COMMANDS_STATUS_COMMAND_H_
