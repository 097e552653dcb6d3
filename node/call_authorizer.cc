#include "node/call_authorizer.h"

#include <utility>

#include "node/log.h"
#include "node/tls.h"

namespace sanji::node {

CallAuthorizer::CallAuthorizer(std::string node_id, bool insecure)
    : node_id_(std::move(node_id)), insecure_(insecure) {}

absl::StatusOr<authz::Identity> CallAuthorizer::Admit(const grpc::ServerContext& context,
                                                      authz::Operation operation) {
  if (insecure_) return authz::Identity::Local();
  absl::StatusOr<authz::Identity> caller = PeerIdentity(*context.auth_context());
  if (!caller.ok()) return Refused(caller.status(), context.peer());
  if (authz::IsRecordOperation(operation)) return caller;
  absl::Status allowed = authz::Authorize(*caller, operation, node_id_, "");
  if (!allowed.ok()) return Refused(std::move(allowed), context.peer());
  return caller;
}

absl::Status CallAuthorizer::Check(const authz::Identity& caller, authz::Operation operation,
                                   absl::string_view record_scope) {
  absl::Status allowed = authz::Authorize(caller, operation, node_id_, record_scope);
  if (allowed.ok()) return allowed;
  return Refused(std::move(allowed), "");
}

bool CallAuthorizer::Visible(const authz::Identity& caller, absl::string_view record_scope) const {
  return authz::Authorize(caller, authz::Operation::kGet, node_id_, record_scope).ok();
}

absl::Status CallAuthorizer::Refused(absl::Status refusal, absl::string_view peer_address) {
  refused_.fetch_add(1, std::memory_order_relaxed);
  if (peer_address.empty()) {
    LogWarning("refused: ", refusal.message());
  } else {
    LogWarning("refused a call from ", peer_address, ": ", refusal.message());
  }
  return refusal;
}

}  // namespace sanji::node
