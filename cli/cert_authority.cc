#include "cli/cert_authority.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "authz/identity.h"
#include "authz/scope_path.h"
#include "conflict/status_macros.h"

namespace sanji::cli {
namespace {

namespace fs = std::filesystem;

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using BignumPtr = std::unique_ptr<BIGNUM, decltype(&BN_free)>;

constexpr char kCaCertName[] = "ca.pem";
constexpr char kCaKeyName[] = "ca.key";
// Issued certificates start an hour in the past, so that a peer whose clock
// runs a little behind the CA's does not refuse a certificate issued just now.
constexpr long kBackdateSeconds = 3600;

absl::Status OpenSslError(absl::string_view what) {
  char text[256] = "unknown error";
  unsigned long code = ERR_get_error();
  if (code != 0) ERR_error_string_n(code, text, sizeof(text));
  ERR_clear_error();
  return absl::InternalError(absl::StrCat("OpenSSL could not ", what, ": ", text));
}

absl::StatusOr<KeyPtr> GenerateKey() {
  KeyPtr key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  if (key == nullptr) return OpenSslError("generate a P-256 key");
  return key;
}

// What a certificate says, apart from its keys.
struct CertificateSpec {
  std::string common_name;
  int validity_days = 0;
  bool is_ca = false;
  std::vector<std::string> uri_sans;  // empty for the CA
  ServerNames server_names;           // DNS and IP SANs of a node
};

// The subjectAltName extension's value in OpenSSL's config syntax
// ("URI:sanji://node/gutian,DNS:localhost,IP:127.0.0.1"). No name holds a
// comma: identities are [a-z0-9_-] segments, and server names are checked.
std::string SubjectAltNames(const CertificateSpec& spec) {
  std::vector<std::string> names;
  for (const std::string& uri : spec.uri_sans) names.push_back(absl::StrCat("URI:", uri));
  for (const std::string& dns : spec.server_names.dns) names.push_back(absl::StrCat("DNS:", dns));
  for (const std::string& ip : spec.server_names.ips) names.push_back(absl::StrCat("IP:", ip));
  return absl::StrJoin(names, ",");
}

bool IsIpAddress(const std::string& text) {
  unsigned char address[16];
  return inet_pton(AF_INET, text.c_str(), address) == 1 ||
         inet_pton(AF_INET6, text.c_str(), address) == 1;
}

bool IsDnsLabel(absl::string_view label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
    return false;
  }
  for (char c : label) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

absl::Status ValidateDnsName(const std::string& name) {
  if (IsIpAddress(name)) {
    // A client dialling an IP matches it against IP SANs only: as a DNS SAN
    // it would never match.
    return absl::InvalidArgumentError(
        absl::StrCat("DNS name \"", name, "\" is an IP address: give it as an IP name (--ip)"));
  }
  if (name.size() > 253) {
    return absl::InvalidArgumentError(
        absl::StrCat("DNS name \"", name, "\" is longer than 253 characters"));
  }
  for (absl::string_view label : absl::StrSplit(name, '.')) {
    if (!IsDnsLabel(label)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "DNS name \"", name, "\" is invalid: label \"", label,
          "\" is not 1 to 63 of [A-Za-z0-9-] without '-' at either end (wildcards are refused)"));
    }
  }
  return absl::OkStatus();
}

absl::Status AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return OpenSslError(absl::StrCat("make extension ", value));
  int added = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (added != 1) return OpenSslError(absl::StrCat("add extension ", value));
  return absl::OkStatus();
}

absl::Status AddExtensions(X509* cert, X509* issuer, const CertificateSpec& spec) {
  SANJI_RETURN_IF_ERROR(
      AddExtension(cert, issuer, NID_basic_constraints,
                   spec.is_ca ? "critical,CA:TRUE,pathlen:0" : "critical,CA:FALSE"));
  SANJI_RETURN_IF_ERROR(
      AddExtension(cert, issuer, NID_key_usage,
                   spec.is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature"));
  SANJI_RETURN_IF_ERROR(AddExtension(cert, issuer, NID_subject_key_identifier, "hash"));
  SANJI_RETURN_IF_ERROR(AddExtension(cert, issuer, NID_authority_key_identifier, "keyid:always"));
  if (spec.is_ca) return absl::OkStatus();
  // A node both serves (children, applications) and dials (its parents).
  SANJI_RETURN_IF_ERROR(AddExtension(cert, issuer, NID_ext_key_usage, "serverAuth,clientAuth"));
  std::string names = SubjectAltNames(spec);
  if (names.empty()) return absl::OkStatus();
  return AddExtension(cert, issuer, NID_subject_alt_name, names);
}

absl::Status SetRandomSerial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return OpenSslError("draw a serial number");
  bytes[0] &= 0x7f;  // serial numbers are positive
  BignumPtr serial(BN_bin2bn(bytes, sizeof(bytes), nullptr), &BN_free);
  if (serial == nullptr ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)) == nullptr) {
    return OpenSslError("set the serial number");
  }
  return absl::OkStatus();
}

// A certificate for `key` as `spec` says, signed by `issuer_key`; `issuer`
// null means self-signed (the CA).
absl::StatusOr<X509Ptr> MakeCertificate(const CertificateSpec& spec, EVP_PKEY* key, X509* issuer,
                                        EVP_PKEY* issuer_key) {
  X509Ptr cert(X509_new(), &X509_free);
  if (cert == nullptr) return OpenSslError("allocate a certificate");
  X509_NAME* subject = X509_get_subject_name(cert.get());
  const auto* cn = reinterpret_cast<const unsigned char*>(spec.common_name.c_str());
  const auto* org = reinterpret_cast<const unsigned char*>("Sanji");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC, org, -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, cn, -1, -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(),
                           issuer != nullptr ? X509_get_subject_name(issuer) : subject) != 1 ||
      X509_set_pubkey(cert.get(), key) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kBackdateSeconds) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), spec.validity_days, 0, nullptr) == nullptr) {
    return OpenSslError("fill in the certificate");
  }
  SANJI_RETURN_IF_ERROR(SetRandomSerial(cert.get()));
  SANJI_RETURN_IF_ERROR(AddExtensions(cert.get(), issuer != nullptr ? issuer : cert.get(), spec));
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) {
    return OpenSslError("sign the certificate");
  }
  return cert;
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(size));
}

absl::StatusOr<std::string> CertificatePem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return OpenSslError("encode the certificate");
  }
  return BioContents(bio.get());
}

absl::StatusOr<std::string> KeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError("encode the private key");
  }
  return BioContents(bio.get());
}

absl::Status ErrnoError(absl::string_view what, const std::string& path) {
  int error = errno;
  std::string message = absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(error));
  if (error == EACCES || error == EPERM) return absl::PermissionDeniedError(message);
  if (error == ENOENT) return absl::NotFoundError(message);
  return absl::InternalError(message);
}

// Writes `data` to a new file at `path` created with `mode`, so that a key is
// never readable by others, not even for a moment.
absl::Status WriteNewFile(const std::string& path, const std::string& data, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoError("create", path);
  size_t written = 0;
  while (written < data.size()) {
    ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status status = ErrnoError("write", path);
      ::close(fd);
      return status;
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return ErrnoError("write", path);
  return absl::OkStatus();
}

// Makes room for `files` in `dir` (created if missing): AlreadyExists if one
// of them exists and `force` is false; removes them if it is true. Called
// once the new pair is made, so that a failure never leaves a forced
// overwrite with no files at all.
absl::Status PrepareOutputs(const std::string& dir, const WrittenFiles& files, bool force) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create directory ", dir, ": ", error.message()));
  }
  for (const std::string& path : {files.cert_path, files.key_path}) {
    if (!fs::exists(path, error)) continue;
    if (!force) {
      return absl::AlreadyExistsError(
          absl::StrCat(path, " already exists; refusing to overwrite it without --force"));
    }
    if (!fs::remove(path, error)) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot remove ", path, ": ", error.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status WritePair(const WrittenFiles& files, X509* cert, EVP_PKEY* key) {
  SANJI_ASSIGN_OR_RETURN(std::string cert_pem, CertificatePem(cert));
  SANJI_ASSIGN_OR_RETURN(std::string key_pem, KeyPem(key));
  SANJI_RETURN_IF_ERROR(WriteNewFile(files.key_path, key_pem, 0600));
  return WriteNewFile(files.cert_path, cert_pem, 0644);
}

// Opens `path` as a PEM BIO: NotFound if it does not exist.
absl::StatusOr<BioPtr> OpenPem(const std::string& path) {
  std::error_code error;
  if (!fs::exists(path, error)) {
    return absl::NotFoundError(absl::StrCat(path, " does not exist (is the CA directory right?)"));
  }
  BioPtr bio(BIO_new_file(path.c_str(), "r"), &BIO_free);
  if (bio == nullptr) return ErrnoError("open", path);
  return bio;
}

struct Authority {
  X509Ptr cert{nullptr, &X509_free};
  KeyPtr key{nullptr, &EVP_PKEY_free};
};

absl::StatusOr<Authority> LoadAuthority(const std::string& ca_dir) {
  std::string cert_path = (fs::path(ca_dir) / kCaCertName).string();
  std::string key_path = (fs::path(ca_dir) / kCaKeyName).string();
  SANJI_ASSIGN_OR_RETURN(BioPtr cert_bio, OpenPem(cert_path));
  SANJI_ASSIGN_OR_RETURN(BioPtr key_bio, OpenPem(key_path));
  Authority ca;
  ca.cert.reset(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  ca.key.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (ca.cert == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(cert_path, " holds no PEM certificate"));
  }
  if (ca.key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(key_path, " holds no PEM private key"));
  }
  if (X509_check_private_key(ca.cert.get(), ca.key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat(key_path, " is not the key of CA certificate ", cert_path));
  }
  return ca;
}

// Signs a certificate as `spec` says with the CA in `ca_dir`, into
// out_dir/<stem>.pem and out_dir/<stem>.key.
absl::StatusOr<WrittenFiles> Issue(const std::string& ca_dir, const CertificateSpec& spec,
                                   const std::string& out_dir, const std::string& stem,
                                   bool force) {
  SANJI_ASSIGN_OR_RETURN(Authority ca, LoadAuthority(ca_dir));
  WrittenFiles files{(fs::path(out_dir) / absl::StrCat(stem, ".pem")).string(),
                     (fs::path(out_dir) / absl::StrCat(stem, ".key")).string()};
  SANJI_ASSIGN_OR_RETURN(KeyPtr key, GenerateKey());
  SANJI_ASSIGN_OR_RETURN(X509Ptr cert,
                         MakeCertificate(spec, key.get(), ca.cert.get(), ca.key.get()));
  SANJI_RETURN_IF_ERROR(PrepareOutputs(out_dir, files, force));
  SANJI_RETURN_IF_ERROR(WritePair(files, cert.get(), key.get()));
  return files;
}

}  // namespace

absl::Status ValidateServerNames(const ServerNames& names) {
  for (const std::string& dns : names.dns) SANJI_RETURN_IF_ERROR(ValidateDnsName(dns));
  for (const std::string& ip : names.ips) {
    if (!IsIpAddress(ip)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "IP address \"", ip, "\" is not an IPv4 or IPv6 address (e.g. 127.0.0.1 or ::1)"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<WrittenFiles> CreateAuthority(const std::string& dir, const std::string& county,
                                             bool force) {
  if (!authz::IsPathSegment(county)) {  // one segment: the county is the root node
    return absl::InvalidArgumentError(
        absl::StrCat("county name \"", county, "\" is invalid: use one or more of [a-z0-9_-]"));
  }
  WrittenFiles files{(fs::path(dir) / kCaCertName).string(), (fs::path(dir) / kCaKeyName).string()};
  SANJI_ASSIGN_OR_RETURN(KeyPtr key, GenerateKey());
  CertificateSpec spec{absl::StrCat(county, " Sanji CA"), kAuthorityValidityDays, true, {}, {}};
  SANJI_ASSIGN_OR_RETURN(X509Ptr cert, MakeCertificate(spec, key.get(), nullptr, key.get()));
  SANJI_RETURN_IF_ERROR(PrepareOutputs(dir, files, force));
  SANJI_RETURN_IF_ERROR(WritePair(files, cert.get(), key.get()));
  return files;
}

std::string CertificateStem(const node::Identity& identity) {
  using Kind = node::Identity::Kind;
  const std::string scope = absl::StrReplaceAll(identity.scope, {{"/", "."}});
  switch (identity.kind) {
    case Kind::kNode:
      return absl::StrCat("node.", scope);
    case Kind::kOperator:
      return absl::StrCat("operator.", identity.name, ".", scope);
    case Kind::kApp:
    case Kind::kLocal:
      break;
  }
  return absl::StrCat("app.", identity.name, ".", scope);
}

absl::StatusOr<WrittenFiles> IssueCertificate(const std::string& ca_dir,
                                              const node::Identity& identity,
                                              const std::string& out_dir, int validity_days,
                                              bool force, const ServerNames& server_names) {
  if (identity.kind == node::Identity::Kind::kLocal) {
    return absl::InvalidArgumentError("a plaintext caller has no certificate to issue");
  }
  SANJI_RETURN_IF_ERROR(authz::ValidateIdentity(identity));
  if (validity_days < 1 || validity_days > kMaxCertificateDays) {
    return absl::InvalidArgumentError(absl::StrCat(
        "validity of ", validity_days, " days is outside [1, ", kMaxCertificateDays, "]"));
  }
  const bool has_server_names = !server_names.dns.empty() || !server_names.ips.empty();
  if (has_server_names && identity.kind != node::Identity::Kind::kNode) {
    return absl::InvalidArgumentError(
        absl::StrCat("DNS and IP names are for node certificates only: ", identity.Uri(),
                     " only dials, and no server checks a client's host name"));
  }
  SANJI_RETURN_IF_ERROR(ValidateServerNames(server_names));
  CertificateSpec spec{identity.name, validity_days, false, {identity.Uri()}, server_names};
  return Issue(ca_dir, spec, out_dir, CertificateStem(identity), force);
}

absl::StatusOr<WrittenFiles> IssueCertificateWithUrisForTest(const std::string& ca_dir,
                                                             std::vector<std::string> uri_sans,
                                                             const std::string& out_dir,
                                                             const std::string& stem) {
  CertificateSpec spec{stem, 30, false, std::move(uri_sans), {}};
  return Issue(ca_dir, spec, out_dir, stem, /*force=*/false);
}

}  // namespace sanji::cli
