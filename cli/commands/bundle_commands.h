// sanjictl's offline bundles and backups, over a node's AdminService
// (proto/admin.proto; node/DESIGN.md, "Offline bundles"):
//
//   sanjictl export --for NODE -o FILE [--knowledge FILE | --knowledge-only]
//   sanjictl import FILE
//   sanjictl backup -o DIR
//
// `export` asks the node for a bundle of what NODE (its parent, or a node
// below it) lacks, given NODE's knowledge from its last status record there
// or from --knowledge, a bundle NODE made; `--knowledge-only` makes a bundle
// of the node's knowledge alone, for NODE to answer. The file is written
// whole or not at all (a temporary file renamed), and read back and checked
// before the command reports it. `import` checks FILE here first (the node
// checks it again), then streams it to the node, which applies it with a
// live session's checks. `backup` has the node copy its store into DIR on
// the node's machine (a relative DIR is taken from sanjictl's working
// directory); DIR must not exist or be empty.
//
// Exit codes (cli/exit_code.h): 2 for a FILE that is not a bundle, 3 for a
// FILE that does not exist, 1 for a truncated or corrupt bundle, one made for
// another node, a NODE that is not the node's parent or below it, a node that
// knows nothing of NODE's knowledge, and a DIR that is not empty.
//
// Thread-safety: single-threaded (see cli/command.h).
#ifndef SANJI_CLI_COMMANDS_BUNDLE_COMMANDS_H_
#define SANJI_CLI_COMMANDS_BUNDLE_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace sanji::cli {

// Adds `export`, `import` and `backup` under `parent`.
// REQUIRES: `invocation` outlives the parse of `parent` and the action run.
void RegisterBundleCommands(CLI::App& parent, Invocation& invocation);

}  // namespace sanji::cli

#endif  // SANJI_CLI_COMMANDS_BUNDLE_COMMANDS_H_
