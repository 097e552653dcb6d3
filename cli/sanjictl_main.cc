// sanjictl: the county operator's tool (ARCHITECTURE.md §6). main only builds
// the command tree, parses, runs the chosen action and maps its Status to the
// exit code (cli/exit_code.h).
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/command.h"
#include "cli/commands/bundle_commands.h"
#include "cli/commands/cert_command.h"
#include "cli/commands/conflict_commands.h"
#include "cli/commands/record_commands.h"
#include "cli/commands/schema_commands.h"
#include "cli/commands/status_command.h"
#include "cli/commands/tree_command.h"
#include "cli/commands/watch_command.h"
#include "cli/exit_code.h"
#include "cli/global_flags.h"
#include "google/protobuf/stubs/logging.h"

int main(int argc, char** argv) {
  // libprotobuf logs in its own format (a text that is not UTF-8, say);
  // sanjictl reports every such problem in its own error instead.
  google::protobuf::SetLogHandler(nullptr);
  CLI::App app("Drives a Sanji county network.", "sanjictl");
  app.fallthrough();  // global flags work after a subcommand
  app.require_subcommand(1);
  app.footer(sanji::cli::ExitCodeHelp());

  sanji::cli::Invocation invocation;
  sanji::cli::AddGlobalFlags(app, invocation.global);
  sanji::cli::RegisterStatusCommand(app, invocation);
  sanji::cli::RegisterTreeCommand(app, invocation);
  sanji::cli::RegisterRecordCommands(app, invocation);
  sanji::cli::RegisterWatchCommand(app, invocation);
  sanji::cli::RegisterConflictCommands(app, invocation);
  sanji::cli::RegisterBundleCommands(app, invocation);
  sanji::cli::RegisterSchemaCommands(app, invocation);
  sanji::cli::RegisterCertCommands(app, invocation);

  // CLI11 reports parse errors as exceptions; they stop here.
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return sanji::cli::ParseExitCode(app.exit(error));
  }
  absl::Status status = invocation.action(std::cout);
  if (!status.ok()) std::cerr << "sanjictl: " << status.message() << "\n";
  return sanji::cli::ExitCode(status);
}
