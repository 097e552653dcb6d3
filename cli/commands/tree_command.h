// `sanjictl tree`: at any node, the network below it as the nodes' status
// records show it (cli/status_tree.h), or with --json the records.
//
// Thread-safety: single-threaded (see cli/command.h).
#ifndef SANJI_CLI_COMMANDS_TREE_COMMAND_H_
#define SANJI_CLI_COMMANDS_TREE_COMMAND_H_

#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace sanji::cli {

// Adds `tree` under `parent`.
// REQUIRES: `invocation` outlives the parse of `parent` and the action run.
void RegisterTreeCommand(CLI::App& parent, Invocation& invocation);

}  // namespace sanji::cli

#endif  // SANJI_CLI_COMMANDS_TREE_COMMAND_H_
