// Mutual TLS for sanjid and its clients (ARCHITECTURE.md §4): who a peer is,
// and the gRPC credentials that prove it.
//
// A peer's identity is ONE canonical URI SAN in its certificate, issued by the
// county's CA (cli/cert_authority.h):
//   sanji://node/<node_id>     a node; node_id is its scope path, e.g.
//                              "gutian/fengpu/xiaban"
//   sanji://client/<name>      an application or the operator's sanjictl
// Never the CN, never what a frame claims. A certificate with no sanji:// URI,
// or with more than one, has no identity: one rule, so that a certificate can
// not be read as two different peers by two different parts of the code.
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
#include "config.pb.h"

namespace sanji::node {

inline constexpr absl::string_view kSanjiUriScheme = "sanji://";
inline constexpr absl::string_view kNodeUriPrefix = "sanji://node/";
inline constexpr absl::string_view kClientUriPrefix = "sanji://client/";

// Who a peer is, as its certificate says.
struct Identity {
  enum class Kind { kNode, kClient };
  Kind kind = Kind::kNode;
  // The node id (a scope path) or the client's name.
  std::string name;

  static Identity Node(std::string id) { return {Kind::kNode, std::move(id)}; }
  static Identity Client(std::string name) { return {Kind::kClient, std::move(name)}; }

  // "sanji://node/<name>" or "sanji://client/<name>".
  std::string Uri() const;
  friend bool operator==(const Identity&, const Identity&) = default;
};

// OK if `id` is a node id: one or more segments of [a-z0-9_-], separated by
// single '/'. InvalidArgument otherwise, naming the id and the bad segment.
absl::Status ValidateNodeId(absl::string_view id);

// OK if `name` is a client name: one segment of [a-z0-9_-]. InvalidArgument
// otherwise, naming it.
absl::Status ValidateClientName(absl::string_view name);

// The identity that a certificate's URI SANs give. PermissionDenied, naming
// the URIs found, if none or more than one of them is a sanji:// URI, or the
// sanji:// URI is malformed (unknown kind, invalid id or name).
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

// The node id of the peer of a call: as PeerIdentity, and
// PermissionDenied if the peer is a client, not a node.
absl::StatusOr<std::string> PeerNodeId(const grpc::AuthContext& auth);

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
