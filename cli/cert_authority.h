// The county's certificate authority (ARCHITECTURE.md §4): creates the CA and
// issues the certificates that node/tls.h reads identities from.
//
// A CA directory holds ca.pem (the CA certificate every node trusts) and
// ca.key (its private key, mode 0600: whoever reads it can mint any node).
// An issued certificate names exactly one identity, as a URI SAN
// (sanji://node/<id>, sanji://operator/<name>/<scope> or
// sanji://app/<name>/<scope>, authz/identity.h), with CN = the id or name for
// humans only. A node's certificate may also carry DNS and IP SANs: the
// names clients dial it by, which every stock TLS client (grpcio, grpc-go,
// `buf curl`, a browser) checks the server against. They are never read as
// an identity (node/tls.h reads URI SANs only), so a wrong one makes stock
// clients refuse the node but cannot make anyone someone else.
//
// Keys are EC P-256: a handshake signs and verifies with them, and ECDSA
// P-256 does that an order of magnitude faster than RSA-2048 at the same
// strength, which matters on a village mini PC that redials over a flaky 4G
// link; every TLS stack speaks it.
//
// Thread-safety: the functions share no state, but two calls writing the same
// files race on them; they are meant for one operator at a time.
#ifndef SANJI_CLI_CERT_AUTHORITY_H_
#define SANJI_CLI_CERT_AUTHORITY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "node/tls.h"

namespace sanji::cli {

// Where a certificate and its key were written.
struct WrittenFiles {
  std::string cert_path;
  std::string key_path;
};

// The names a node serves under, as DNS and IP SANs of its certificate:
// the host part of the addresses clients dial (localhost, 127.0.0.1,
// sanji-xiaban.lan, 10.8.0.3).
struct ServerNames {
  std::vector<std::string> dns{};  // host names, e.g. localhost
  std::vector<std::string> ips{};  // IPv4 or IPv6 literals, e.g. 127.0.0.1, ::1
};

// OK if every name is usable as a SAN: a DNS name of dot-separated labels of
// [A-Za-z0-9-] (1 to 63 characters, no '-' at either end; 253 at most; no
// wildcard, a node is one machine) that is not an IP address, and an IP that
// is an IPv4 or IPv6 literal. InvalidArgument naming the first bad one
// otherwise.
absl::Status ValidateServerNames(const ServerNames& names);

// Validity of a CA: long, since replacing it means re-issuing every node.
inline constexpr int kAuthorityValidityDays = 3650;
// Longest validity of an issued certificate.
inline constexpr int kMaxCertificateDays = 3650;

// Creates the CA of county `county` (a node id segment such as "gutian") in
// `dir` (created if missing): dir/ca.pem and dir/ca.key.
// AlreadyExists if either file exists and `force` is false; InvalidArgument
// for an invalid county name; Internal if OpenSSL fails; the filesystem's
// error, naming the path, if a file cannot be written.
absl::StatusOr<WrittenFiles> CreateAuthority(const std::string& dir, const std::string& county,
                                             bool force);

// The file stem of `identity`'s certificate: "node.gutian.fengpu.xiaban" for
// node gutian/fengpu/xiaban, "operator.desk.gutian" for operator desk of the
// whole county, "app.clinic.gutian.fengpu.xiaban" for application clinic of
// gutian/fengpu/xiaban. '.' is in no name or scope, so no two identities
// share a stem.
std::string CertificateStem(const node::Identity& identity);

// Issues a certificate for `identity`, signed by the CA in `ca_dir`, valid for
// `validity_days` from now, into `out_dir` (created if missing) as
// <stem>.pem and <stem>.key (mode 0600), with `server_names` as DNS and IP
// SANs beside the identity's URI SAN.
// NotFound naming the file if ca_dir has no ca.pem or ca.key;
// InvalidArgument for an invalid identity, a validity outside
// [1, kMaxCertificateDays], server names that ValidateServerNames refuses or
// that are given for an identity other than a node (operators and
// applications only dial, and nothing checks a client's host name), or CA
// files that are not a matching PEM pair;
// AlreadyExists if an output file exists and `force` is false.
absl::StatusOr<WrittenFiles> IssueCertificate(const std::string& ca_dir,
                                              const node::Identity& identity,
                                              const std::string& out_dir, int validity_days,
                                              bool force, const ServerNames& server_names = {});

// Issues a certificate whose URI SANs are exactly `uri_sans` (none, several,
// malformed), valid for 30 days, as out_dir/<stem>.pem and .key: for tests of
// the identity rules, which IssueCertificate never breaks.
absl::StatusOr<WrittenFiles> IssueCertificateWithUrisForTest(const std::string& ca_dir,
                                                             std::vector<std::string> uri_sans,
                                                             const std::string& out_dir,
                                                             const std::string& stem);

}  // namespace sanji::cli

#endif  // SANJI_CLI_CERT_AUTHORITY_H_
