#include "node/tls.h"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "conflict/status_macros.h"

namespace sanji::node {
namespace {

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using StorePtr = std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)>;
using NamesPtr = std::unique_ptr<GENERAL_NAMES, decltype(&GENERAL_NAMES_free)>;

BioPtr MemoryBio(const std::string& data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())), &BIO_free);
}

// The first certificate in `pem`, or null.
X509Ptr ParseCertificate(const std::string& pem) {
  BioPtr bio = MemoryBio(pem);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
  // OpenSSL's error queue is per thread, and gRPC's handshakes on this thread
  // must not find our parse errors in it.
  if (cert == nullptr) ERR_clear_error();
  return cert;
}

// Every certificate in `pem` (a CA file may hold several, e.g. during a CA
// rollover).
std::vector<X509Ptr> ParseCertificates(const std::string& pem) {
  BioPtr bio = MemoryBio(pem);
  std::vector<X509Ptr> certs;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    certs.emplace_back(cert, &X509_free);
  }
  ERR_clear_error();  // the loop ends on a "no start line" error
  return certs;
}

std::vector<std::string> UrisOf(X509* cert) {
  NamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)),
      &GENERAL_NAMES_free);
  std::vector<std::string> uris;
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_URI) continue;
    const ASN1_STRING* uri = name->d.uniformResourceIdentifier;
    uris.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                      static_cast<size_t>(ASN1_STRING_length(uri)));
  }
  return uris;
}

absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view what) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    return absl::NotFoundError(absl::StrCat(what, " ", path, " does not exist"));
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  if (!in || in.bad()) {
    return absl::PermissionDeniedError(absl::StrCat("cannot read ", what, " ", path));
  }
  return contents.str();
}

// The PEM files of a TlsConfig, read and checked against each other.
struct KeyMaterial {
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;
};

// OK if `cert` chains to one of `cas` and is valid now.
absl::Status VerifyChain(X509* cert, const std::vector<X509Ptr>& cas, const v1::TlsConfig& tls) {
  StorePtr store(X509_STORE_new(), &X509_STORE_free);
  for (const X509Ptr& ca : cas) X509_STORE_add_cert(store.get(), ca.get());
  StoreCtxPtr ctx(X509_STORE_CTX_new(), &X509_STORE_CTX_free);
  if (store == nullptr || ctx == nullptr ||
      X509_STORE_CTX_init(ctx.get(), store.get(), cert, nullptr) != 1) {
    return absl::InternalError("OpenSSL could not allocate a certificate store");
  }
  if (X509_verify_cert(ctx.get()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate ", tls.cert_file(), " does not verify against CA ", tls.ca_file(),
                     ": ", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()))));
  }
  return absl::OkStatus();
}

// Reads the three files of `tls` and checks what a TLS handshake would
// otherwise report only as an opaque failure, long after start.
absl::StatusOr<KeyMaterial> LoadKeyMaterial(const v1::TlsConfig& tls) {
  KeyMaterial m;
  SANJI_ASSIGN_OR_RETURN(m.ca_pem, ReadFile(tls.ca_file(), "CA file"));
  SANJI_ASSIGN_OR_RETURN(m.cert_pem, ReadFile(tls.cert_file(), "certificate file"));
  SANJI_ASSIGN_OR_RETURN(m.key_pem, ReadFile(tls.key_file(), "key file"));
  std::vector<X509Ptr> cas = ParseCertificates(m.ca_pem);
  if (cas.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("CA file ", tls.ca_file(), " holds no PEM certificate"));
  }
  X509Ptr cert = ParseCertificate(m.cert_pem);
  if (cert == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate file ", tls.cert_file(), " holds no PEM certificate"));
  }
  BioPtr key_bio = MemoryBio(m.key_pem);
  KeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  if (key == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat("key file ", tls.key_file(), " holds no unencrypted PEM private key"));
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat("key file ", tls.key_file(), " does not match certificate ", tls.cert_file()));
  }
  SANJI_RETURN_IF_ERROR(VerifyChain(cert.get(), cas, tls));
  return m;
}

std::shared_ptr<grpc::experimental::CertificateProviderInterface> Provider(const KeyMaterial& m) {
  // Static data: the files were checked above, and a FileWatcher provider
  // would reload them unchecked. Rotation is a restart for now.
  return std::make_shared<grpc::experimental::StaticDataCertificateProvider>(
      m.ca_pem, std::vector<grpc::experimental::IdentityKeyCertPair>{{m.key_pem, m.cert_pem}});
}

// Runs after gRPC has verified the peer's chain against the CA: refuses a
// peer whose certificate has no sanji identity, or (when `expected` is set)
// not that one, or (when `node_only`) a client's.
class IdentityVerifier final : public grpc::experimental::ExternalCertificateVerifier {
 public:
  IdentityVerifier(std::optional<Identity> expected, bool node_only)
      : expected_(std::move(expected)), node_only_(node_only) {}

  bool Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)> /*callback*/, grpc::Status* sync_status) override {
    absl::Status status = Check(*request);
    *sync_status = status.ok() ? grpc::Status::OK
                               : grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                              std::string(status.message()));
    return true;  // synchronous
  }

  void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest* /*request*/) override {}

 private:
  absl::Status Check(const grpc::experimental::TlsCustomVerificationCheckRequest& request) const {
    std::vector<std::string> uris;
    for (const grpc::string_ref& uri : request.uri_names())
      uris.emplace_back(uri.data(), uri.size());
    SANJI_ASSIGN_OR_RETURN(Identity peer, IdentityFromUris(uris));
    if (expected_.has_value() && peer != *expected_) {
      return absl::PermissionDeniedError(
          absl::StrCat("peer is ", peer.Uri(), ", expected ", expected_->Uri()));
    }
    if (node_only_ && peer.kind != Identity::Kind::kNode) {
      return absl::PermissionDeniedError(absl::StrCat("peer is ", peer.Uri(), ", not a node"));
    }
    return absl::OkStatus();
  }

  const std::optional<Identity> expected_;
  const bool node_only_;
};

std::string ListUris(const std::vector<std::string>& uris) {
  return uris.empty() ? "no URI SAN" : absl::StrCat("URI SANs [", absl::StrJoin(uris, ", "), "]");
}

}  // namespace

absl::StatusOr<Identity> IdentityFromUris(const std::vector<std::string>& uris) {
  std::vector<absl::string_view> sanji;
  for (const std::string& uri : uris) {
    if (absl::StartsWith(uri, authz::kSanjiUriScheme)) sanji.push_back(uri);
  }
  if (sanji.size() != 1) {
    return absl::PermissionDeniedError(absl::StrCat("certificate has ", sanji.size(),
                                                    " sanji:// URI SANs (", ListUris(uris),
                                                    "); an identity is exactly one"));
  }
  absl::StatusOr<Identity> identity = authz::IdentityFromUri(sanji.front());
  if (!identity.ok()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "certificate URI SAN ", sanji.front(), " is malformed: ", identity.status().message()));
  }
  return identity;
}

absl::StatusOr<std::vector<std::string>> CertificateUris(const std::string& pem) {
  X509Ptr cert = ParseCertificate(pem);
  if (cert == nullptr) {
    return absl::InvalidArgumentError("no PEM certificate found");
  }
  return UrisOf(cert.get());
}

absl::StatusOr<Identity> ReadCertificateIdentity(const std::string& path) {
  SANJI_ASSIGN_OR_RETURN(std::string pem, ReadFile(path, "certificate file"));
  absl::StatusOr<std::vector<std::string>> uris = CertificateUris(pem);
  if (!uris.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate file ", path, ": ", uris.status().message()));
  }
  absl::StatusOr<Identity> identity = IdentityFromUris(*uris);
  if (!identity.ok()) {
    return absl::Status(identity.status().code(),
                        absl::StrCat(path, ": ", identity.status().message()));
  }
  return identity;
}

absl::Status CheckCertificateNamesNode(const v1::TlsConfig& tls, absl::string_view node_id) {
  SANJI_ASSIGN_OR_RETURN(Identity identity, ReadCertificateIdentity(tls.cert_file()));
  Identity expected = Identity::Node(std::string(node_id));
  if (identity == expected) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("certificate ", tls.cert_file(), " names ",
                                                    identity.Uri(), ", but this node is ",
                                                    expected.Uri()));
}

absl::StatusOr<Identity> PeerIdentity(const grpc::AuthContext& auth) {
  if (auth.FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME).empty()) {
    return absl::UnauthenticatedError("the peer presented no certificate");
  }
  std::vector<std::string> uris;
  for (const grpc::string_ref& uri : auth.FindPropertyValues(GRPC_PEER_URI_PROPERTY_NAME)) {
    uris.emplace_back(uri.data(), uri.size());
  }
  return IdentityFromUris(uris);
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const v1::TlsConfig& tls) {
  SANJI_ASSIGN_OR_RETURN(KeyMaterial material, LoadKeyMaterial(tls));
  grpc::experimental::TlsServerCredentialsOptions options(Provider(material));
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.set_certificate_verifier(
      grpc::experimental::ExternalCertificateVerifier::Create<IdentityVerifier>(
          std::optional<Identity>(), /*node_only=*/false));
  return grpc::experimental::TlsServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(
    const v1::TlsConfig& tls, std::string expected_server_node_id) {
  std::optional<Identity> expected;
  if (!expected_server_node_id.empty()) {
    SANJI_RETURN_IF_ERROR(ValidateNodeId(expected_server_node_id));
    expected = Identity::Node(std::move(expected_server_node_id));
  }
  SANJI_ASSIGN_OR_RETURN(KeyMaterial material, LoadKeyMaterial(tls));
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(Provider(material));
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_verify_server_certs(true);
  // Our verifier replaces gRPC's default hostname check: see the file comment.
  options.set_certificate_verifier(
      grpc::experimental::ExternalCertificateVerifier::Create<IdentityVerifier>(
          std::move(expected), /*node_only=*/true));
  options.set_check_call_host(false);
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      grpc::experimental::TlsCredentials(options);
  if (credentials == nullptr) {
    return absl::InternalError("gRPC refused the TLS channel options");
  }
  return credentials;
}

}  // namespace sanji::node
