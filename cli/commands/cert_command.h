// `sanjictl cert ...`: the county's certificate authority (cli/cert_authority.h).
//
//   sanjictl cert ca --dir DIR --county NAME [--force]
//   sanjictl cert issue --ca-dir DIR (--node ID | --operator NAME --scope S |
//                       --app NAME --scope S) --out-dir DIR
//                       [--dns NAME]... [--ip ADDR]... [--days N] [--force]
//
// --dns and --ip are for node certificates only: the names clients dial the
// node by, as DNS and IP SANs (the identity stays the URI SAN).
//
// Thread-safety: single-threaded (see cli/command.h).
#ifndef SANJI_CLI_COMMANDS_CERT_COMMAND_H_
#define SANJI_CLI_COMMANDS_CERT_COMMAND_H_

#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace sanji::cli {

// Adds `cert` and its subcommands under `parent`.
// REQUIRES: `invocation` outlives the parse of `parent`.
void RegisterCertCommands(CLI::App& parent, Invocation& invocation);

}  // namespace sanji::cli

#endif  // SANJI_CLI_COMMANDS_CERT_COMMAND_H_
