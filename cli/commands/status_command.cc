#include "cli/commands/status_command.h"

#include <string>

#include "absl/time/clock.h"
#include "cli/connection.h"
#include "cli/format.h"
#include "cli/node_status_view.h"
#include "conflict/status_macros.h"

namespace sanji::cli {
namespace {

absl::Status RunStatus(const GlobalFlags& global, std::ostream& out) {
  SANJI_ASSIGN_OR_RETURN(const Connection connection, Connection::Open(global));
  SANJI_ASSIGN_OR_RETURN(
      const v1::NodeStatus status,
      connection.Call(connection.admin(), &v1::AdminService::Stub::Status, v1::StatusRequest()));
  if (global.json) return PrintJson(status, out);
  PrintNodeStatus(status, absl::ToUnixMicros(absl::Now()), out);
  return absl::OkStatus();
}

}  // namespace

void RegisterStatusCommand(CLI::App& parent, Invocation& invocation) {
  CLI::App* status =
      parent.add_subcommand("status", "The node: identity, uptime, knowledge and its sync links");
  SetNodeAction(*status, invocation, RunStatus);
}

}  // namespace sanji::cli
