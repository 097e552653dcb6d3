// `sanjictl schema ...`: the schema as data (docs/SCHEMA.md).
//   publish FILE          at the county: publish FILE as the next version
//                         (AdminService.PublishSchema)
//   show [--version N]    the schema the node runs, or published version N
//   diff A B              what changed from A to B: schema files, or version
//                         numbers published at the node
//   check OLD NEW         the rules of change from file OLD to file NEW
//                         (conflict/schema_rules.h), each violation named
//                         with its field, its rule and a suggestion; exits 1
//                         if any is broken. Reads no node.
//
// Thread-safety: single-threaded (see cli/command.h).
#ifndef SANJI_CLI_COMMANDS_SCHEMA_COMMANDS_H_
#define SANJI_CLI_COMMANDS_SCHEMA_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace sanji::cli {

// Adds `schema` and its subcommands under `parent`.
// REQUIRES: `invocation` outlives the parse of `parent` and the action run.
void RegisterSchemaCommands(CLI::App& parent, Invocation& invocation);

}  // namespace sanji::cli

#endif  // SANJI_CLI_COMMANDS_SCHEMA_COMMANDS_H_
