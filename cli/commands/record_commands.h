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
#include <string>

#include "absl/status/statusor.h"
#include "api.pb.h"
#include "cli/command.h"
#include "cli/connection.h"
#include "cli/put_input.h"

namespace sanji::cli {

// Writes `input` to record `collection`/`key` through RecordService.Put,
// each value typed by the node's schema; `scope`, if not empty, (re)sets the
// record's scope. `put` and `conflicts resolve --value` both write this way.
// Errors: NotFound for an unknown collection; InvalidArgument as
// OperationsFromInput; the Put's error.
absl::StatusOr<v1::PutResponse> PutFields(const Connection& connection,
                                          const std::string& collection, const std::string& key,
                                          const std::string& scope, const PutInput& input);

// Adds put, get, rm and ls under `parent`.
// REQUIRES: `invocation` outlives the parse of `parent` and the action run.
void RegisterRecordCommands(CLI::App& parent, Invocation& invocation);

}  // namespace sanji::cli

#endif  // SANJI_CLI_COMMANDS_RECORD_COMMANDS_H_
