#include "authz/authorization.h"

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "authz/scope_path.h"

namespace sanji::authz {
namespace {

using Kind = Identity::Kind;

constexpr std::array<std::pair<Operation, absl::string_view>, 16> kOperationNames = {{
    {Operation::kPut, "RecordService.Put"},
    {Operation::kGet, "RecordService.Get"},
    {Operation::kDelete, "RecordService.Delete"},
    {Operation::kList, "RecordService.List"},
    {Operation::kWatch, "RecordService.Watch"},
    {Operation::kStatus, "AdminService.Status"},
    {Operation::kCheck, "AdminService.Check"},
    {Operation::kGetSchema, "AdminService.GetSchema"},
    {Operation::kPublishSchema, "AdminService.PublishSchema"},
    {Operation::kListConflicts, "AdminService.ListConflicts"},
    {Operation::kGetConflict, "AdminService.GetConflict"},
    {Operation::kResolveConflict, "AdminService.ResolveConflict"},
    {Operation::kExportBundle, "AdminService.ExportBundle"},
    {Operation::kImportBundle, "AdminService.ImportBundle"},
    {Operation::kBackup, "AdminService.Backup"},
    {Operation::kSession, "Sync.Session"},
}};

bool IsWrite(Operation operation) {
  return operation == Operation::kPut || operation == Operation::kDelete;
}

absl::Status Denied(const Identity& caller, Operation operation, absl::string_view node,
                    absl::string_view record_scope, absl::string_view why) {
  const std::string what = IsRecordOperation(operation)
                               ? absl::StrCat(OperationName(operation), " in scope ", record_scope)
                               : std::string(OperationName(operation));
  return absl::PermissionDeniedError(
      absl::StrCat(caller.Uri(), " may not ", what, " at ", node, ": ", why));
}

absl::Status AuthorizeRecord(const Identity& caller, Operation operation, absl::string_view node,
                             absl::string_view scope) {
  if (IsWrite(operation)) {
    if (!InSubtree(scope, node)) {
      return Denied(caller, operation, node, scope,
                    absl::StrCat("a node writes only in its own subtree, so that its parent "
                                 "takes the change at sync; write it at a node above ",
                                 scope));
    }
    if (caller.kind != Kind::kLocal && !InSubtree(scope, caller.scope)) {
      return Denied(caller, operation, node, scope,
                    absl::StrCat("it writes only in ", caller.scope, " and below"));
    }
    return absl::OkStatus();
  }
  if (caller.kind != Kind::kLocal && !InFilter(scope, caller.scope)) {
    return Denied(caller, operation, node, scope,
                  absl::StrCat("it reads only ", caller.scope,
                               ", what is below it and the notices of the nodes above it"));
  }
  return absl::OkStatus();
}

// The schema is the county's: only the root node takes a new version, from
// an operator of the whole county (or a local caller of --insecure there).
absl::Status AuthorizePublish(const Identity& caller, absl::string_view node) {
  const Operation operation = Operation::kPublishSchema;
  if (node.find('/') != absl::string_view::npos) {
    return Denied(caller, operation, node, "",
                  "a schema is published only at the county node, whose record reaches every "
                  "node below it");
  }
  if (caller.kind == Kind::kLocal) return absl::OkStatus();
  if (caller.kind != Kind::kOperator || caller.scope != node) {
    return Denied(caller, operation, node, "",
                  absl::StrCat("only an operator certificate of the county's scope ", node,
                               " publishes a schema (sanjictl cert issue --operator NAME --scope ",
                               node, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view OperationName(Operation operation) {
  for (const auto& [known, name] : kOperationNames) {
    if (known == operation) return name;
  }
  return "an unknown operation";
}

std::optional<Operation> OperationOfRpc(absl::string_view rpc) {
  for (const auto& [operation, name] : kOperationNames) {
    if (name.substr(name.find('.') + 1) == rpc) return operation;
  }
  return std::nullopt;
}

bool IsRecordOperation(Operation operation) {
  switch (operation) {
    case Operation::kPut:
    case Operation::kGet:
    case Operation::kDelete:
    case Operation::kList:
    case Operation::kWatch:
      return true;
    default:
      return false;
  }
}

absl::Status Authorize(const Identity& caller, Operation operation, absl::string_view node,
                       absl::string_view record_scope) {
  if (IsRecordOperation(operation)) return AuthorizeRecord(caller, operation, node, record_scope);
  if (operation == Operation::kSession) {
    if (caller.kind == Kind::kLocal) return absl::OkStatus();
    if (caller.kind != Kind::kNode) {
      return Denied(caller, operation, node, "", "only nodes sync, with their node certificate");
    }
    if (!StrictlyBelow(caller.scope, node)) {
      return Denied(caller, operation, node, "",
                    absl::StrCat("a node syncs only with the nodes above it, and ", caller.scope,
                                 " is not below ", node));
    }
    return absl::OkStatus();
  }
  if (operation == Operation::kPublishSchema) return AuthorizePublish(caller, node);
  if (operation == Operation::kGetSchema || caller.kind == Kind::kLocal) return absl::OkStatus();
  if (caller.kind != Kind::kOperator) {
    return Denied(caller, operation, node, "",
                  "only an operator certificate administers a node (sanjictl cert issue "
                  "--operator NAME --scope S)");
  }
  if (!InSubtree(node, caller.scope)) {
    return Denied(caller, operation, node, "",
                  absl::StrCat("it administers only the nodes of ", caller.scope, " and below"));
  }
  return absl::OkStatus();
}

}  // namespace sanji::authz
