#include "tests/support/lenient_tls.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <fstream>
#include <sstream>
#include <vector>

namespace sanji::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

}  // namespace

std::shared_ptr<grpc::ChannelCredentials> LenientTlsCredentials(
    const std::string& ca_file, const std::optional<KeyAndCertificate>& presented) {
  std::vector<grpc::experimental::IdentityKeyCertPair> pairs;
  if (presented.has_value()) {
    pairs.push_back({ReadFile(presented->key_file), ReadFile(presented->cert_file)});
  }
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(
      std::make_shared<grpc::experimental::StaticDataCertificateProvider>(ReadFile(ca_file),
                                                                          pairs));
  options.watch_root_certs();
  if (presented.has_value()) options.watch_identity_key_cert_pairs();
  options.set_certificate_verifier(std::make_shared<grpc::experimental::NoOpCertificateVerifier>());
  options.set_check_call_host(false);
  return grpc::experimental::TlsCredentials(options);
}

}  // namespace sanji::testing
