// cli/cert_authority: a node certificate names the hosts clients dial it by
// (DNS and IP SANs, which OpenSSL's own host check, as every stock client
// uses it, accepts), while its identity stays its one URI SAN
// (ARCHITECTURE.md §4: "identity is the URI SAN"); bad names are refused,
// naming them.
#include "cli/cert_authority.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "node/tls.h"

namespace sanji::cli {
namespace {

namespace fs = std::filesystem;
using node::Identity;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;

std::string Contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

X509Ptr ReadCertificate(const std::string& path) {
  const std::string pem = Contents(path);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
}

class CertAuthorityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "sanji_cert_authority_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    ASSERT_TRUE(CreateAuthority(dir_ + "/ca", "gutian", false).ok());
  }

  void TearDown() override { fs::remove_all(dir_); }

  absl::StatusOr<WrittenFiles> Issue(const Identity& identity, const ServerNames& names) {
    return IssueCertificate(dir_ + "/ca", identity, dir_ + "/certs", 30, false, names);
  }

  std::string dir_;
};

TEST_F(CertAuthorityTest, NodeCertificateNamesItsHostsAndKeepsItsIdentityInTheUriSan) {
  absl::StatusOr<WrittenFiles> files =
      Issue(Identity::Node("gutian/fengpu/xiaban"),
            {.dns = {"localhost", "sanji-xiaban.lan"}, .ips = {"127.0.0.1", "::1"}});
  ASSERT_TRUE(files.ok()) << files.status();
  X509Ptr cert = ReadCertificate(files->cert_path);
  ASSERT_NE(cert, nullptr);
  // What a stock client checks of the host it dialled.
  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "sanji-xiaban.lan", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "::1", 0), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "sanji-fengpu.lan", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "10.0.0.1", 0), 0);
  // The identity is the URI SAN, alone among the URIs.
  EXPECT_THAT(
      node::CertificateUris(Contents(files->cert_path)).value_or(std::vector<std::string>{}),
      ElementsAre("sanji://node/gutian/fengpu/xiaban"));
  EXPECT_EQ(node::ReadCertificateIdentity(files->cert_path).value_or(Identity()),
            Identity::Node("gutian/fengpu/xiaban"));
}

TEST_F(CertAuthorityTest, CertificateWithoutServerNamesNamesNoHost) {
  absl::StatusOr<WrittenFiles> files = Issue(Identity::Node("gutian"), {});
  ASSERT_TRUE(files.ok()) << files.status();
  X509Ptr cert = ReadCertificate(files->cert_path);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 0);
  EXPECT_EQ(node::ReadCertificateIdentity(files->cert_path).value_or(Identity()),
            Identity::Node("gutian"));
}

TEST_F(CertAuthorityTest, BadServerNamesAreRefusedNamingThem) {
  const struct {
    ServerNames names;
    const char* message;
  } cases[] = {
      {{.ips = {"300.1.2.3"}}, "IP address \"300.1.2.3\" is not an IPv4 or IPv6 address"},
      {{.ips = {"localhost"}}, "IP address \"localhost\" is not"},
      {{.dns = {"127.0.0.1"}}, "DNS name \"127.0.0.1\" is an IP address"},
      {{.dns = {"bad_name.lan"}}, "label \"bad_name\""},
      {{.dns = {"*.lan"}}, "label \"*\""},
      {{.dns = {"a..lan"}}, "label \"\""},
      {{.dns = {"-a.lan"}}, "label \"-a\""},
      {{.dns = {"a,DNS:evil"}}, "DNS name \"a,DNS:evil\""},
  };
  for (const auto& bad : cases) {
    absl::StatusOr<WrittenFiles> files = Issue(Identity::Node("gutian"), bad.names);
    EXPECT_EQ(files.status().code(), absl::StatusCode::kInvalidArgument) << bad.message;
    EXPECT_THAT(files.status().message(), HasSubstr(bad.message));
  }
  EXPECT_FALSE(fs::exists(dir_ + "/certs/node.gutian.pem"));
}

TEST_F(CertAuthorityTest, OnlyNodeCertificatesCarryServerNames) {
  absl::StatusOr<WrittenFiles> app =
      Issue(Identity::App("till", "gutian/fengpu"), {.dns = {"localhost"}});
  EXPECT_EQ(app.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(app.status().message(), HasSubstr("for node certificates only"));
  absl::StatusOr<WrittenFiles> desk =
      Issue(Identity::Operator("desk", "gutian"), {.ips = {"127.0.0.1"}});
  EXPECT_EQ(desk.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sanji::cli
