// sanjictl cert ca|issue, run as the built binary (ARCHITECTURE.md §4: "The
// county runs the certificate authority; sanjictl issues node certificates";
// §6: "exit codes that mean something").
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "node/tls.h"
#include "tests/cli/sanjictl_runner.h"

namespace sanji::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

fs::perms Permissions(const fs::path& path) {
  return fs::status(path).permissions() & fs::perms::all;
}

class SanjictlTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = FreshTestDirectory(); }

  void TearDown() override { fs::remove_all(dir_); }

  Result Run(const std::string& args) { return RunSanjictl(dir_, args); }

  fs::path dir_;
};

TEST_F(SanjictlTest, CaAndIssueWriteCertificatesThatNameTheIdentity) {
  Result ca = Run("cert ca --dir ca --county gutian");
  ASSERT_EQ(ca.exit_code, 0) << ca.err;
  EXPECT_THAT(ca.out, HasSubstr("ca/ca.pem"));
  EXPECT_EQ(Permissions(dir_ / "ca/ca.key"), fs::perms::owner_read | fs::perms::owner_write);

  Result node = Run("cert issue --ca-dir ca --node gutian/fengpu --out-dir certs --days 30");
  ASSERT_EQ(node.exit_code, 0) << node.err;
  EXPECT_THAT(node.out, HasSubstr("certs/node.gutian.fengpu.pem"));
  EXPECT_EQ(Permissions(dir_ / "certs/node.gutian.fengpu.key"),
            fs::perms::owner_read | fs::perms::owner_write);
  absl::StatusOr<node::Identity> identity =
      node::ReadCertificateIdentity((dir_ / "certs/node.gutian.fengpu.pem").string());
  EXPECT_EQ(identity.value_or(node::Identity()), node::Identity::Node("gutian/fengpu"));

  ASSERT_EQ(Run("cert issue --ca-dir ca --operator desk --scope gutian --out-dir certs").exit_code,
            0);
  identity = node::ReadCertificateIdentity((dir_ / "certs/operator.desk.gutian.pem").string());
  EXPECT_EQ(identity.value_or(node::Identity()), node::Identity::Operator("desk", "gutian"));

  ASSERT_EQ(
      Run("cert issue --ca-dir ca --app clinic --scope gutian/fengpu --out-dir certs").exit_code,
      0);
  identity = node::ReadCertificateIdentity((dir_ / "certs/app.clinic.gutian.fengpu.pem").string());
  EXPECT_EQ(identity.value_or(node::Identity()), node::Identity::App("clinic", "gutian/fengpu"));
}

TEST_F(SanjictlTest, NodeCertificateTakesTheHostsClientsDialIt) {
  ASSERT_EQ(Run("cert ca --dir ca --county gutian").exit_code, 0);
  Result node =
      Run("cert issue --ca-dir ca --node gutian/fengpu --dns localhost --dns sanji-fengpu.lan "
          "--ip 127.0.0.1,::1 --out-dir certs");
  ASSERT_EQ(node.exit_code, 0) << node.err;
  EXPECT_THAT(node.out,
              HasSubstr("clients may dial it as localhost, sanji-fengpu.lan, 127.0.0.1, ::1"));
  absl::StatusOr<node::Identity> identity =
      node::ReadCertificateIdentity((dir_ / "certs/node.gutian.fengpu.pem").string());
  EXPECT_EQ(identity.value_or(node::Identity()), node::Identity::Node("gutian/fengpu"));

  Result bad_ip = Run("cert issue --ca-dir ca --node gutian --ip 127.0.0.256 --out-dir certs");
  EXPECT_EQ(bad_ip.exit_code, 2);
  EXPECT_THAT(bad_ip.err, HasSubstr("IP address \"127.0.0.256\" is not an IPv4 or IPv6 address"));
  Result app =
      Run("cert issue --ca-dir ca --app till --scope gutian --dns localhost --out-dir certs");
  EXPECT_EQ(app.exit_code, 2);
  EXPECT_THAT(app.err, HasSubstr("DNS and IP names are for node certificates only"));
  // One name per flag: a stray word is a usage error, not a name.
  EXPECT_EQ(
      Run("cert issue --ca-dir ca --node gutian --dns localhost stray --out-dir certs").exit_code,
      2);
}

TEST_F(SanjictlTest, UsageErrorsExitWithTwo) {
  ASSERT_EQ(Run("cert ca --dir ca --county gutian").exit_code, 0);
  for (const char* args : {"", "cert", "cert ca --dir ca", "cert ca --dir ca --county gutian --bad",
                           "cert issue --ca-dir ca --node a --operator b --out-dir certs",
                           "cert issue --ca-dir ca --out-dir certs",
                           "cert issue --ca-dir ca --client desk --out-dir certs"}) {
    EXPECT_EQ(Run(args).exit_code, 2) << "sanjictl " << args;
  }
  Result bad_id = Run("cert issue --ca-dir ca --node gutian/Fengpu --out-dir certs");
  EXPECT_EQ(bad_id.exit_code, 2);
  EXPECT_THAT(bad_id.err, HasSubstr("invalid segment \"Fengpu\""));
  EXPECT_EQ(Run("cert issue --ca-dir ca --node gutian --out-dir certs --days 0").exit_code, 2);
  Result no_scope = Run("cert issue --ca-dir ca --operator desk --out-dir certs");
  EXPECT_EQ(no_scope.exit_code, 2);
  EXPECT_THAT(no_scope.err, HasSubstr("--operator and --app need --scope"));
  Result node_scope = Run("cert issue --ca-dir ca --node gutian --scope gutian --out-dir certs");
  EXPECT_EQ(node_scope.exit_code, 2);
  EXPECT_THAT(node_scope.err, HasSubstr("--scope is for --operator and --app"));
}

TEST_F(SanjictlTest, HelpListsTheExitCodes) {
  Result help = Run("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("Exit codes:"));
  EXPECT_THAT(help.out, HasSubstr("5  node unavailable"));
}

TEST_F(SanjictlTest, MissingCaDirectoryIsNotFound) {
  Result result = Run("cert issue --ca-dir nowhere --node gutian --out-dir certs");
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_THAT(result.err, HasSubstr("nowhere/ca.pem does not exist"));
  EXPECT_FALSE(fs::exists(dir_ / "certs"));
}

TEST_F(SanjictlTest, ExistingCaIsReplacedOnlyWithForce) {
  ASSERT_EQ(Run("cert ca --dir ca --county gutian").exit_code, 0);
  std::string key = Contents(dir_ / "ca/ca.key");

  Result again = Run("cert ca --dir ca --county gutian");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("refusing to overwrite it without --force"));
  EXPECT_EQ(Contents(dir_ / "ca/ca.key"), key);

  EXPECT_EQ(Run("cert ca --dir ca --county gutian --force").exit_code, 0);
  EXPECT_NE(Contents(dir_ / "ca/ca.key"), key);
}

}  // namespace
}  // namespace sanji::cli
