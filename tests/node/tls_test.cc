// Mutual TLS (ARCHITECTURE.md §4: "Nodes authenticate with mutual TLS; a
// node's id is taken from its certificate"): real handshakes over loopback
// between an in-process server and clients, with certificates from the
// county CA of cli/cert_authority.h.
#include "node/tls.h"

#include <gmock/gmock.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <optional>

#include "cli/cert_authority.h"
#include "tests/support/lenient_tls.h"

namespace sanji::node {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kWhoAmI[] = "/sanji.test.WhoAmI/Get";
constexpr char kHealthCheck[] = "/grpc.health.v1.Health/Check";

// Answers every call with what PeerIdentity says of the caller: its
// identity's URI, or the error as the call's status.
class WhoAmIService final : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override {
    class Reactor final : public grpc::ServerGenericBidiReactor {
     public:
      explicit Reactor(const grpc::AuthContext& auth) {
        absl::StatusOr<Identity> caller = PeerIdentity(auth);
        if (!caller.ok()) {
          Finish(grpc::Status(static_cast<grpc::StatusCode>(caller.status().code()),
                              std::string(caller.status().message())));
          return;
        }
        grpc::Slice slice(caller->Uri());
        reply_ = grpc::ByteBuffer(&slice, 1);
        StartWriteAndFinish(&reply_, grpc::WriteOptions(), grpc::Status::OK);
      }
      void OnDone() override { delete this; }

     private:
      grpc::ByteBuffer reply_;
    };
    return new Reactor(*ctx->auth_context());
  }
};

class TlsTest : public ::testing::Test {
 protected:
  // One CA and one set of certificates for the whole suite: the tests only
  // read them.
  static void SetUpTestSuite() {
    std::string pattern = (fs::temp_directory_path() / "sanji_tls_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = new std::string(pattern);
    ASSERT_TRUE(cli::CreateAuthority(Path("ca"), "gutian", false).ok());
    ASSERT_TRUE(cli::CreateAuthority(Path("other_ca"), "mintian", false).ok());
    Issue("ca", Identity::Node("gutian"));
    Issue("ca", Identity::Node("gutian/fengpu"));
    Issue("ca", Identity::Operator("desk", "gutian"));
    Issue("other_ca", Identity::Node("gutian/fengpu"));
    ASSERT_TRUE(cli::IssueCertificateWithUrisForTest(
                    Path("ca"), {"sanji://node/gutian/a", "sanji://node/gutian/b"},
                    Path("ca/certs"), "two_uris")
                    .ok());
  }

  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }

  static std::string Path(const std::string& relative) {
    return (fs::path(*dir_) / relative).string();
  }

  static void Issue(const std::string& ca, const Identity& identity) {
    absl::StatusOr<cli::WrittenFiles> files =
        cli::IssueCertificate(Path(ca), identity, Path(ca + "/certs"), 30, false);
    ASSERT_TRUE(files.ok()) << files.status();
  }

  // The TlsConfig of certificate `stem` issued by `ca`, trusting `ca`.
  static v1::TlsConfig Config(const std::string& ca, const std::string& stem) {
    v1::TlsConfig tls;
    tls.set_ca_file(Path(ca + "/ca.pem"));
    tls.set_cert_file(Path(ca + "/certs/" + stem + ".pem"));
    tls.set_key_file(Path(ca + "/certs/" + stem + ".key"));
    return tls;
  }

  // Starts the server of node "gutian" on a free loopback port.
  void SetUp() override {
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
        ServerCredentials(Config("ca", "node.gutian"));
    ASSERT_TRUE(credentials.ok()) << credentials.status();
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", *credentials, &port);
    builder.RegisterCallbackGenericService(&who_am_i_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    address_ = "127.0.0.1:" + std::to_string(port);
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  // Calls `method` with an empty request: the reply's bytes, or the status.
  absl::StatusOr<std::string> Call(const std::shared_ptr<grpc::ChannelCredentials>& credentials,
                                   const std::string& method) {
    grpc::GenericStub stub(grpc::CreateChannel(address_, credentials));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::CompletionQueue queue;
    grpc::Slice empty_message("");  // a null ByteBuffer would be no message at all
    grpc::ByteBuffer request(&empty_message, 1);
    grpc::ByteBuffer reply;
    grpc::Status status;
    std::unique_ptr<grpc::GenericClientAsyncResponseReader> call =
        stub.PrepareUnaryCall(&context, method, request, &queue);
    call->StartCall();
    call->Finish(&reply, &status, this);
    void* tag = nullptr;
    bool ok = false;
    EXPECT_TRUE(queue.Next(&tag, &ok));
    if (!status.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          status.error_message());
    }
    std::vector<grpc::Slice> slices;
    EXPECT_TRUE(reply.Dump(&slices).ok());
    std::string bytes;
    for (const grpc::Slice& slice : slices) bytes.append(slice.begin(), slice.end());
    return bytes;
  }

  absl::StatusOr<std::string> WhoAmI(const v1::TlsConfig& tls, std::string expected = "gutian") {
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
        ChannelCredentials(tls, std::move(expected));
    if (!credentials.ok()) return credentials.status();
    return Call(*credentials, kWhoAmI);
  }

  // The county CA's lenient client (tests/support/lenient_tls.h), presenting
  // the key and certificate `stem` of CA `ca`, or none.
  static std::shared_ptr<grpc::ChannelCredentials> LenientClient(
      std::optional<std::pair<std::string, std::string>> ca_and_stem) {
    std::optional<testing::KeyAndCertificate> presented;
    if (ca_and_stem.has_value()) {
      const std::string base = Path(ca_and_stem->first + "/certs/" + ca_and_stem->second);
      presented = testing::KeyAndCertificate{base + ".key", base + ".pem"};
    }
    return testing::LenientTlsCredentials(Path("ca/ca.pem"), presented);
  }

  static std::string* dir_;
  WhoAmIService who_am_i_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

std::string* TlsTest::dir_ = nullptr;

TEST_F(TlsTest, NodeOfTheCountyConnectsAndServerReadsItsId) {
  EXPECT_EQ(WhoAmI(Config("ca", "node.gutian.fengpu")).value_or("error"),
            "sanji://node/gutian/fengpu");
}

TEST_F(TlsTest, HealthServiceAnswersOverMutualTls) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      ChannelCredentials(Config("ca", "node.gutian.fengpu"), "");
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  // HealthCheckResponse{status: SERVING}: field 1, varint 1.
  absl::StatusOr<std::string> reply = Call(*credentials, kHealthCheck);
  EXPECT_EQ(reply.value_or("error"), "\x08\x01") << reply.status();
}

TEST_F(TlsTest, ServerReadsAnOperatorAndItsScope) {
  EXPECT_EQ(WhoAmI(Config("ca", "operator.desk.gutian")).value_or("error"),
            "sanji://operator/desk/gutian");
}

TEST_F(TlsTest, LenientClientWithCountyCertificateConnects) {
  // The control for the two refusals below: the same client, with a good
  // certificate, gets through.
  EXPECT_EQ(Call(LenientClient({{"ca", "node.gutian.fengpu"}}), kWhoAmI).value_or("error"),
            "sanji://node/gutian/fengpu");
}

TEST_F(TlsTest, ServerRefusesCertificateOfAnotherCa) {
  absl::StatusOr<std::string> reply =
      Call(LenientClient({{"other_ca", "node.gutian.fengpu"}}), kWhoAmI);
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable) << reply.status();
}

TEST_F(TlsTest, ServerRefusesClientWithoutCertificate) {
  absl::StatusOr<std::string> reply = Call(LenientClient(std::nullopt), kWhoAmI);
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable) << reply.status();
}

TEST_F(TlsTest, ServerRefusesCertificateWithTwoIdentities) {
  absl::StatusOr<std::string> reply = Call(LenientClient({{"ca", "two_uris"}}), kWhoAmI);
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable) << reply.status();
}

TEST_F(TlsTest, ClientRefusesServerWithAnotherId) {
  absl::StatusOr<std::string> reply = WhoAmI(Config("ca", "node.gutian.fengpu"), "gutian/other");
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable) << reply.status();
  EXPECT_EQ(WhoAmI(Config("ca", "node.gutian.fengpu"), "").value_or("error"),
            "sanji://node/gutian/fengpu");
}

TEST_F(TlsTest, ClientRefusesServerOfAnotherCa) {
  v1::TlsConfig tls = Config("other_ca", "node.gutian.fengpu");
  absl::StatusOr<std::string> reply = WhoAmI(tls, "");
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable) << reply.status();
}

TEST_F(TlsTest, CertificateWithTwoSanjiUrisHasNoIdentity) {
  absl::StatusOr<Identity> identity = ReadCertificateIdentity(Path("ca/certs/two_uris.pem"));
  EXPECT_EQ(identity.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(identity.status().message(),
              HasSubstr("2 sanji:// URI SANs (URI SANs [sanji://node/gutian/a, "
                        "sanji://node/gutian/b])"));
}

TEST(IdentityTest, OneSanjiUriAmongOthersIsTheIdentity) {
  absl::StatusOr<Identity> identity =
      IdentityFromUris({"spiffe://county/x", "sanji://node/gutian/fengpu"});
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(*identity, Identity::Node("gutian/fengpu"));
  EXPECT_EQ(identity->Uri(), "sanji://node/gutian/fengpu");
}

TEST(IdentityTest, MalformedOrMissingSanjiUriHasNoIdentity) {
  for (const std::vector<std::string>& uris :
       std::vector<std::vector<std::string>>{{},
                                             {"spiffe://x"},
                                             {"sanji://node/Gutian"},
                                             {"sanji://node/a//b"},
                                             {"sanji://client/a/b"},
                                             {"sanji://admin/x"}}) {
    EXPECT_EQ(IdentityFromUris(uris).status().code(), absl::StatusCode::kPermissionDenied)
        << uris.size();
  }
}

TEST(IdentityTest, NodeIdSyntaxNamesTheBadSegment) {
  EXPECT_TRUE(ValidateNodeId("gutian/fengpu-2/xia_ban").ok());
  absl::Status status = ValidateNodeId("gutian/Fengpu");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("\"Fengpu\""));
  EXPECT_FALSE(ValidateNodeId("").ok());
  EXPECT_FALSE(ValidateNodeId("gutian/").ok());
}

TEST_F(TlsTest, OwnCertificateMustNameTheConfiguredNode) {
  EXPECT_TRUE(CheckCertificateNamesNode(Config("ca", "node.gutian"), "gutian").ok());
  absl::Status status = CheckCertificateNamesNode(Config("ca", "node.gutian"), "gutian/fengpu");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("names sanji://node/gutian, but this node is "
                                          "sanji://node/gutian/fengpu"));
}

TEST_F(TlsTest, CredentialsNameTheBadFile) {
  v1::TlsConfig missing = Config("ca", "node.gutian");
  missing.set_key_file(Path("nope.key"));
  absl::Status status = ServerCredentials(missing).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("nope.key"));

  v1::TlsConfig mismatched = Config("ca", "node.gutian");
  mismatched.set_key_file(Path("ca/certs/operator.desk.gutian.key"));
  status = ChannelCredentials(mismatched, "").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("does not match certificate"));

  v1::TlsConfig foreign = Config("ca", "node.gutian");
  foreign.set_cert_file(Path("other_ca/certs/node.gutian.fengpu.pem"));
  foreign.set_key_file(Path("other_ca/certs/node.gutian.fengpu.key"));
  status = ServerCredentials(foreign).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("does not verify against CA"));
}

}  // namespace
}  // namespace sanji::node
