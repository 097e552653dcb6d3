// sanjictl's commands on a node's conflict log and store, over its
// AdminService (proto/admin.proto):
//
//   sanjictl conflicts ls [--all] [--limit N]   unresolved events (--all: every one)
//   sanjictl conflicts show SEQ                 one event in full
//   sanjictl conflicts resolve SEQ [--value V]  a person decides
//   sanjictl check                              the store consistency check
//
// `resolve --value V` first writes V to the event's field of its record (an
// ordinary Put, V typed by the node's schema; for the scope, the record's
// scope), then marks the event resolved; without --value it only marks it
// resolved, keeping the value the field reads now. An unknown SEQ is NotFound
// (exit 3); `check` on an inconsistent store fails (exit 1) with the problems.
//
// Thread-safety: single-threaded (see cli/command.h).
#ifndef SANJI_CLI_COMMANDS_CONFLICT_COMMANDS_H_
#define SANJI_CLI_COMMANDS_CONFLICT_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace sanji::cli {

// Adds `conflicts` (with ls, show and resolve) and `check` under `parent`.
// REQUIRES: `invocation` outlives the parse of `parent` and the action run.
void RegisterConflictCommands(CLI::App& parent, Invocation& invocation);

}  // namespace sanji::cli

#endif  // SANJI_CLI_COMMANDS_CONFLICT_COMMANDS_H_
