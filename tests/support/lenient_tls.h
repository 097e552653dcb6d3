// A TLS client that never refuses the server itself, for tests that must
// see what the server refuses: it trusts the county CA, accepts any server
// certificate that CA signed without reading its identity, and presents the
// certificate it is given, or none.
//
// Thread-safety: a pure function; the credentials may be shared.
#ifndef SANJI_TESTS_SUPPORT_LENIENT_TLS_H_
#define SANJI_TESTS_SUPPORT_LENIENT_TLS_H_

#include <grpcpp/security/credentials.h>

#include <memory>
#include <optional>
#include <string>

namespace sanji::testing {

// The key and certificate files a client presents.
struct KeyAndCertificate {
  std::string key_file;
  std::string cert_file;
};

// Credentials trusting the CA of `ca_file`, presenting `presented` (which
// need not chain to that CA) or no certificate at all. The files are read
// now; a file that cannot be read is read as empty, and the handshake fails.
std::shared_ptr<grpc::ChannelCredentials> LenientTlsCredentials(
    const std::string& ca_file, const std::optional<KeyAndCertificate>& presented);

}  // namespace sanji::testing

#endif  // SANJI_TESTS_SUPPORT_LENIENT_TLS_H_
