// Mutual TLS for sanjid and its clients (ARCHITECTURE.md §4): who a peer is,
// and the gRPC credentials that prove it.
//
// A peer's identity is ONE canonical URI SAN in its certificate, issued by the
// county's CA (cli/cert_authority.h): sanji://node/<node_id>,
// sanji://operator/<name>/<scope> or sanji://app/<name>/<scope>
// (authz/identity.h says what each is). Never the CN, never what a frame claims. A certificate with
// no sanji:// URI, or with more than one, has no identity: one rule, so that a certificate can not
// be read as two different peers by two different parts of the code.
//
// Both credentials below verify the peer's chain against the county CA and
// refuse, during the handshake, a peer whose certificate has no identity.
// Hostnames are not checked: the identity is the URI SAN, so a parent can be
// dialled at any address (127.0.0.1:port, a 4G carrier's NAT address) without
// IP or DNS SANs.
//
// Thread-safety: every function is thread-safe (no shared state); the returned
// credentials may be shared by any number of servers and channels.
#ifndef SANJI_NODE_TLS_H_
#define SANJI_NODE_TLS_H_

#include <grpcpp/security/auth_context.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "authz/identity.h"
#include "authz/scope_path.h"
#include "config.pb.h"

namespace sanji::node {

// Who a peer is, as its certificate says (authz/identity.h).
using authz::Identity;

// OK if `id` is a node id (a scope path, authz/scope_path.h). InvalidArgument
// otherwise, naming the id and the bad segment.
inline absl::Status ValidateNodeId(absl::string_view id) {
  return authz::ValidateScopePath(id, "node id");
}

// The identity that a certificate's URI SANs give. PermissionDenied, naming
// the URIs found, if none or more than one of them is a sanji:// URI, or the
// sanji:// URI is malformed (authz::IdentityFromUri says how).
absl::StatusOr<Identity> IdentityFromUris(const std::vector<std::string>& uris);

// The URI SANs of the first certificate in `pem`. InvalidArgument if `pem`
// holds no parsable certificate.
absl::StatusOr<std::vector<std::string>> CertificateUris(const std::string& pem);

// The identity named by the certificate in the PEM file at `path` (the node
// checks at start that its own certificate names its configured node id).
// NotFound if the file does not exist, InvalidArgument if it is not a PEM
// certificate, PermissionDenied if it names no single identity.
absl::StatusOr<Identity> ReadCertificateIdentity(const std::string& path);

// OK if `tls.cert_file` names node `node_id`; FailedPrecondition naming both
// otherwise (errors of ReadCertificateIdentity pass through).
absl::Status CheckCertificateNamesNode(const v1::TlsConfig& tls, absl::string_view node_id);

// The authenticated identity of the peer of a call (server side:
// ServerContext::auth_context(); client side: ClientContext::auth_context()).
// Unauthenticated if the peer presented no certificate (not a TLS call);
// PermissionDenied, naming the URIs it holds, if its certificate names no
// single identity.
absl::StatusOr<Identity> PeerIdentity(const grpc::AuthContext& auth);

// Server credentials for sanjid: present tls.cert_file, require every client
// to present a certificate chaining to tls.ca_file with a sanji:// identity.
// The files are read now (paths as given; the config loader resolves relative
// ones): NotFound naming a missing file, InvalidArgument naming a file that
// is not PEM of the expected kind, a key that does not match the certificate
// or a certificate the CA did not issue.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const v1::TlsConfig& tls);

// Channel credentials to dial a node: present tls.cert_file, verify the
// server's chain against tls.ca_file and that its identity is
// sanji://node/<expected_server_node_id>; an empty expected id accepts any
// node of this CA (never a client's certificate). Errors as ServerCredentials,
// plus InvalidArgument for an expected id that is not a node id.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(
    const v1::TlsConfig& tls, std::string expected_server_node_id);

}  // namespace sanji::node

#endif  // SANJI_NODE_TLS_H_
