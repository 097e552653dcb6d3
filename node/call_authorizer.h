// CallAuthorizer: who calls each RPC of a node, and the one rule of who may
// do what (authz/authorization.h) asked for it. Every service of the node
// (sync, RecordService, AdminService, bundles through AdminService) asks it
// before doing anything; refusals are logged, naming the caller, the
// operation, the scope and the peer's address, and counted (NodeStatus
// calls_refused).
//
// Thread-safety: thread-safe; the count is atomic and the rest immutable.
#ifndef SANJI_NODE_CALL_AUTHORIZER_H_
#define SANJI_NODE_CALL_AUTHORIZER_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "authz/authorization.h"
#include "grpcpp/grpcpp.h"

namespace sanji::node {

class CallAuthorizer {
 public:
  // `insecure`: the node serves plaintext (--insecure, loopback only), so
  // every caller is authz::Identity::Local().
  CallAuthorizer(std::string node_id, bool insecure);

  // The caller of the call `context` belongs to, authorized for `operation`
  // at this node. For record operations only the caller is found: each
  // record's scope is asked of Check or Visible. Errors: Unauthenticated if
  // the peer presented no certificate; PermissionDenied naming the identity,
  // the operation and why (authz::Authorize), counted and logged.
  absl::StatusOr<authz::Identity> Admit(const grpc::ServerContext& context,
                                        authz::Operation operation);

  // OK if `caller` may perform the record operation on a record of
  // `record_scope`; PermissionDenied, counted and logged, otherwise.
  absl::Status Check(const authz::Identity& caller, authz::Operation operation,
                     absl::string_view record_scope);

  // Whether `caller` may read a record of `record_scope`: List and Watch
  // leave out, without counting, what it may not.
  bool Visible(const authz::Identity& caller, absl::string_view record_scope) const;

  // Calls and record operations refused since the node started.
  uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }

 private:
  absl::Status Refused(absl::Status refusal, absl::string_view peer_address);

  const std::string node_id_;
  const bool insecure_;
  std::atomic<uint64_t> refused_{0};
};

}  // namespace sanji::node

#endif  // SANJI_NODE_CALL_AUTHORIZER_H_
