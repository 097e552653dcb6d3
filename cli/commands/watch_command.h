// `sanjictl watch [COLLECTION] [--prefix P] [--from-start]`: one line per
// committed change (local writes and those replicated in) until Ctrl-C, or
// with --json one WatchEvent per line. Each line is flushed as it comes, so
// the output can be piped.
//
// Thread-safety: single-threaded (see cli/command.h).
#ifndef SANJI_CLI_COMMANDS_WATCH_COMMAND_H_
#define SANJI_CLI_COMMANDS_WATCH_COMMAND_H_

#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace sanji::cli {

// Adds `watch` under `parent`.
// REQUIRES: `invocation` outlives the parse of `parent` and the action run.
void RegisterWatchCommand(CLI::App& parent, Invocation& invocation);

}  // namespace sanji::cli

#endif  // SANJI_CLI_COMMANDS_WATCH_COMMAND_H_
