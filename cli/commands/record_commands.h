// sanjictl's record commands, over the node's RecordService (proto/api.proto):
//
//   sanjictl put COLLECTION KEY [FIELD=VALUE...] [--scope SCOPE]
//                [--incr FIELD=N] [--add FIELD=V] [--remove FIELD=V]
//                [--status FIELD=S]
//   sanjictl get COLLECTION KEY
//   sanjictl rm COLLECTION KEY
//   sanjictl ls COLLECTION [PREFIX] [--limit N]
//
// put types each value by the node's schema (cli/put_input.h). A record or
// collection that does not exist is NotFound (exit 3).
//
// Thread-safety: single-threaded (see cli/command.h).
#ifndef SANJI_CLI_COMMANDS_RECORD_COMMANDS_H_
#define SANJI_CLI_COMMANDS_RECORD_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace sanji::cli {

// Adds put, get, rm and ls under `parent`.
// REQUIRES: `invocation` outlives the parse of `parent` and the action run.
void RegisterRecordCommands(CLI::App& parent, Invocation& invocation);

}  // namespace sanji::cli

#endif  // SANJI_CLI_COMMANDS_RECORD_COMMANDS_H_
