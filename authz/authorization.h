// Who may do what to which scope (ARCHITECTURE.md §4): the one rule every
// entry point of a node asks (the sync service, RecordService, AdminService,
// bundles), pure, so that a table states it and a test checks it. The table:
// docs/AUTHORIZATION.md and docs/authorization-table.txt.
//
// In short, for a caller with scope C (a node's id, the scope of an
// operator's or application's certificate) at node N:
//   - records: any certificate reads a record whose scope is in C's filter
//     (its subtree, and the ancestors' notices); nodes and applications, and
//     operators, write records only in C's subtree, and node N only in its
//     own subtree (what its parent would take at sync);
//   - administration (status, check, conflicts, bundles, backup): an
//     operator whose scope holds N; the schema is readable by any
//     certificate;
//   - sync sessions: a node below N, nothing else.
// A plaintext caller of an --insecure node (loopback, development) may do
// everything but sync, where the session's own checks stand alone.
//
// Thread-safety: pure functions.
#ifndef SANJI_AUTHZ_AUTHORIZATION_H_
#define SANJI_AUTHZ_AUTHORIZATION_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "authz/identity.h"

namespace sanji::authz {

// One per RPC a node serves.
enum class Operation {
  // RecordService (proto/api.proto).
  kPut,
  kGet,
  kDelete,
  kList,
  kWatch,
  // AdminService (proto/admin.proto).
  kStatus,
  kCheck,
  kGetSchema,
  kPublishSchema,
  kListConflicts,
  kGetConflict,
  kResolveConflict,
  kExportBundle,
  kImportBundle,
  kBackup,
  // Sync (proto/sync.proto).
  kSession,
};

// "RecordService.Put", "AdminService.Backup", "Sync.Session".
absl::string_view OperationName(Operation operation);
// The operation of RPC `rpc` ("Put", "Session", ...), or nullopt.
std::optional<Operation> OperationOfRpc(absl::string_view rpc);

// True for the operations that act on records (RecordService).
bool IsRecordOperation(Operation operation);

// OK if `caller` may perform `operation` at node `node`. For record
// operations `record_scope` is the scope of the record read or written (a
// Put or Delete asks for the stored scope and for the new one); other
// operations act on the node itself and ignore it. PermissionDenied
// otherwise, naming the caller's identity, the operation, the scope and why:
//   "sanji://node/gutian/fengpu/xiaban may not RecordService.Put in scope
//    gutian at gutian: it writes only in gutian/fengpu/xiaban and below"
absl::Status Authorize(const Identity& caller, Operation operation, absl::string_view node,
                       absl::string_view record_scope);

}  // namespace sanji::authz

#endif  // SANJI_AUTHZ_AUTHORIZATION_H_
