#include "cli/commands/tree_command.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "cli/connection.h"
#include "cli/format.h"
#include "cli/status_tree.h"
#include "conflict/status_macros.h"
#include "node/status_schema.h"

namespace sanji::cli {
namespace {

// Every status record the node holds of `root` and below, page by page.
absl::StatusOr<std::vector<v1::Record>> ListStatusRecords(const Connection& connection,
                                                          const std::string& root) {
  std::vector<v1::Record> records;
  v1::ListRequest request;
  request.set_collection(node::kStatusCollection);
  request.set_key_prefix(root);
  request.set_page_size(1000);
  do {
    SANJI_ASSIGN_OR_RETURN(
        v1::ListResponse page,
        connection.Call(connection.records(), &v1::RecordService::Stub::List, request));
    for (v1::Record& record : *page.mutable_records()) records.push_back(std::move(record));
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return SubtreeRecords(std::move(records), root);
}

absl::Status RunTree(const GlobalFlags& global, std::ostream& out) {
  SANJI_ASSIGN_OR_RETURN(const Connection connection, Connection::Open(global));
  SANJI_ASSIGN_OR_RETURN(
      const v1::NodeStatus status,
      connection.Call(connection.admin(), &v1::AdminService::Stub::Status, v1::StatusRequest()));
  SANJI_ASSIGN_OR_RETURN(std::vector<v1::Record> records,
                         ListStatusRecords(connection, status.node_id()));
  if (global.json) {
    v1::ListResponse response;
    for (v1::Record& record : records) *response.add_records() = std::move(record);
    return PrintJson(response, out);
  }
  PrintStatusTree(records, status.node_id(), absl::ToUnixMicros(absl::Now()), out);
  return absl::OkStatus();
}

}  // namespace

void RegisterTreeCommand(CLI::App& parent, Invocation& invocation) {
  CLI::App* tree = parent.add_subcommand(
      "tree", "The network below the node, from the nodes' status records: who is offline");
  SetNodeAction(*tree, invocation, RunTree);
}

}  // namespace sanji::cli
