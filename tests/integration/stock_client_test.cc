// Stock gRPC clients against a real sanjid (proto/api.proto: "Any stock gRPC
// client can call it"): the Python example client (examples/python/,
// Debian's python3-grpcio) verifies the node's certificate as any TLS client
// does, by the host it dials, and puts and gets a record; health answers for
// the node and for each service by name; reflection v1alpha (gRPC's) and v1
// (node/reflection_service.h) list every service and describe each, health
// included.
//
// One county node serves every test; its certificate names localhost and
// 127.0.0.1 as the demo county's do (Cluster::Issue).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api.grpc.pb.h"
#include "google/protobuf/descriptor.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "node/tls.h"
#include "tests/integration/test_county.h"

namespace sanji::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::IsSupersetOf;

// The services of a node, by their full names as clients ask for them.
const std::vector<std::string> kNodeServices = {"sanji.v1.RecordService", "sanji.v1.AdminService",
                                                "sanji.v1.Sync"};

class StockClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster_ = new TestCluster;
    cluster_->AddNode(kCounty, {}, false);
    cluster_->Start(kCounty);
    app_ = new v1::TlsConfig(cluster_->Issue(authz::Identity::App("python-example", kCounty)));
  }

  static void TearDownTestSuite() {
    EXPECT_EQ(cluster_->Stop(kCounty), 0);
    delete app_;
    delete cluster_;
  }

  // The node's port, from its address (127.0.0.1:PORT).
  static std::string Port() {
    const std::string& address = cluster_->address(kCounty);
    return address.substr(address.rfind(':') + 1);
  }

  // Runs the Python example against `target` with the app certificate
  // `app`, writing `text` as the title of record `key`.
  static CommandResult RunExample(const std::string& target, const v1::TlsConfig& app,
                                  const std::string& key, const std::string& text) {
    return RunCommand({SANJI_PYTHON,   SANJI_PYTHON_EXAMPLE,
                       "--stubs",      SANJI_PYTHON_STUBS,
                       "--target",     target,
                       "--ca",         app.ca_file(),
                       "--cert",       app.cert_file(),
                       "--key",        app.key_file(),
                       "--collection", "service_requests",
                       "--record-key", key,
                       "--scope",      kCounty,
                       "--field",      "title",
                       "--text",       text});
  }

  // A channel to the node with the app certificate: health and reflection
  // are open to every certificate of the county (docs/AUTHORIZATION.md).
  static std::shared_ptr<grpc::Channel> AppChannel() {
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
        node::ChannelCredentials(*app_, kCounty);
    EXPECT_TRUE(credentials.ok()) << credentials.status();
    return grpc::CreateChannel(cluster_->address(kCounty),
                               credentials.value_or(grpc::InsecureChannelCredentials()));
  }

  static TestCluster* cluster_;
  static v1::TlsConfig* app_;
};

TestCluster* StockClientTest::cluster_ = nullptr;
v1::TlsConfig* StockClientTest::app_ = nullptr;

TEST_F(StockClientTest, PythonClientVerifiesTheNodeByIpAndByNameAndPutsAndGets) {
  const CommandResult grpcio = RunCommand({SANJI_PYTHON, "-c", "import grpc"});
  ASSERT_EQ(grpcio.exit_code, 0) << SANJI_PYTHON
                                 << " cannot import grpc: python3-grpcio is not installed "
                                    "(scripts/setup installs it)\n"
                                 << grpcio.output;
  // 127.0.0.1 matches the certificate's IP SAN, localhost its DNS SAN.
  const CommandResult by_ip = RunExample("127.0.0.1:" + Port(), *app_, "py-ip", "修水泵");
  EXPECT_EQ(by_ip.exit_code, 0) << by_ip.output;
  EXPECT_THAT(by_ip.output, HasSubstr("service_requests/py-ip scope gutian: title = 修水泵"));
  const CommandResult by_name = RunExample("localhost:" + Port(), *app_, "py-name", "换灯泡");
  EXPECT_EQ(by_name.exit_code, 0) << by_name.output;
  EXPECT_THAT(by_name.output, HasSubstr("service_requests/py-name scope gutian: title = 换灯泡"));
  // The write went through the node, as any other client sees it.
  EXPECT_TRUE(HasTitle(*cluster_, kCounty, "service_requests", "py-ip", "修水泵"));
}

TEST_F(StockClientTest, PythonClientRefusesANodeWhoseCertificateNamesNoHost) {
  // The same node id, issued as before node certificates named their hosts:
  // a stock client must refuse it, or the test above proves nothing.
  TestCluster bare;
  bare.AddNode(kCounty, {}, false);
  const std::string out = bare.dir() + "/bare";
  const CommandResult issued =
      RunCommand({SANJICTL_PATH, "cert", "issue", "--ca-dir", bare.dir() + "/ca", "--node", kCounty,
                  "--out-dir", out});
  ASSERT_EQ(issued.exit_code, 0) << issued.output;
  bare.EditConfig(kCounty, [&](v1::NodeConfig& config) {
    config.mutable_tls()->set_cert_file(out + "/node.gutian.pem");
    config.mutable_tls()->set_key_file(out + "/node.gutian.key");
  });
  bare.Start(kCounty);
  const std::string& address = bare.address(kCounty);
  const CommandResult refused = RunExample(
      address, bare.Issue(authz::Identity::App("python-example", kCounty)), "py-bare", "x");
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_THAT(refused.output,
              HasSubstr("RecordService.Put to " + address + " failed: UNAVAILABLE"));
  // gRPC's words for a host the certificate does not name.
  EXPECT_THAT(refused.output, HasSubstr("Peer name 127.0.0.1 is not in peer certificate"));
  EXPECT_EQ(bare.Stop(kCounty), 0);
}

TEST_F(StockClientTest, HealthAnswersForTheNodeAndForEachServiceByName) {
  std::unique_ptr<grpc::health::v1::Health::Stub> health =
      grpc::health::v1::Health::NewStub(AppChannel());
  std::vector<std::string> names = kNodeServices;
  names.push_back("");
  for (const std::string& name : names) {
    grpc::ClientContext context;
    PrepareCall(context);
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(name);
    grpc::health::v1::HealthCheckResponse response;
    const grpc::Status status = health->Check(&context, request, &response);
    ASSERT_TRUE(status.ok()) << "\"" << name << "\": " << status.error_message();
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING) << name;
  }
  grpc::ClientContext context;
  PrepareCall(context);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service("sanji.v1.NoSuchService");
  grpc::health::v1::HealthCheckResponse response;
  EXPECT_EQ(health->Check(&context, request, &response).error_code(), grpc::StatusCode::NOT_FOUND);
}

// Reflection v1alpha and v1: the same messages in two packages.
struct V1alpha {
  using Service = grpc::reflection::v1alpha::ServerReflection;
  using Request = grpc::reflection::v1alpha::ServerReflectionRequest;
  using Response = grpc::reflection::v1alpha::ServerReflectionResponse;
};
struct V1 {
  using Service = grpc::reflection::v1::ServerReflection;
  using Request = grpc::reflection::v1::ServerReflectionRequest;
  using Response = grpc::reflection::v1::ServerReflectionResponse;
};

// The answers to `requests`, asked on one stream, as a client asks them.
template <typename Version>
std::vector<typename Version::Response> Ask(
    const std::shared_ptr<grpc::Channel>& channel,
    const std::vector<typename Version::Request>& requests) {
  auto stub = Version::Service::NewStub(channel);
  grpc::ClientContext context;
  PrepareCall(context);
  auto stream = stub->ServerReflectionInfo(&context);
  std::vector<typename Version::Response> answers;
  for (const typename Version::Request& request : requests) {
    typename Version::Response response;
    if (!stream->Write(request) || !stream->Read(&response)) break;
    answers.push_back(std::move(response));
  }
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  return answers;
}

// The service `service` (a full name) as the answer describes it: the
// method names of the first file that declares it, or nullopt.
template <typename Response>
std::optional<std::vector<std::string>> Methods(const Response& answer,
                                                const std::string& service) {
  for (const std::string& bytes : answer.file_descriptor_response().file_descriptor_proto()) {
    google::protobuf::FileDescriptorProto file;
    if (!file.ParseFromString(bytes)) continue;
    for (const google::protobuf::ServiceDescriptorProto& declared : file.service()) {
      if (file.package() + "." + declared.name() != service) continue;
      std::vector<std::string> methods;
      for (const auto& method : declared.method()) methods.push_back(method.name());
      return methods;
    }
  }
  return std::nullopt;
}

// Lists the services, then asks for the file of each, and of a symbol that
// does not exist.
template <typename Version>
void ExpectReflectionDescribesEveryService(const std::shared_ptr<grpc::Channel>& channel) {
  std::vector<std::string> services = kNodeServices;
  services.push_back("grpc.health.v1.Health");
  std::vector<typename Version::Request> requests(1);
  requests[0].set_list_services("");
  for (const std::string& service : services) {
    requests.emplace_back().set_file_containing_symbol(service);
  }
  requests.emplace_back().set_file_containing_symbol("sanji.v1.NoSuchService");
  const std::vector<typename Version::Response> answers = Ask<Version>(channel, requests);
  ASSERT_EQ(answers.size(), requests.size());

  std::vector<std::string> listed;
  for (const auto& service : answers[0].list_services_response().service()) {
    listed.push_back(service.name());
  }
  EXPECT_THAT(listed, IsSupersetOf(services));
  EXPECT_THAT(listed, IsSupersetOf({"grpc.reflection.v1alpha.ServerReflection",
                                    "grpc.reflection.v1.ServerReflection"}));
  for (size_t i = 0; i < services.size(); ++i) {
    const auto& answer = answers[i + 1];
    EXPECT_FALSE(answer.has_error_response())
        << services[i] << ": " << answer.error_response().error_message();
    EXPECT_NE(Methods(answer, services[i]), std::nullopt) << services[i] << " is not described";
  }
  EXPECT_THAT(Methods(answers[4], "grpc.health.v1.Health").value_or(std::vector<std::string>{}),
              IsSupersetOf({"Check", "Watch"}));
  EXPECT_THAT(Methods(answers[1], "sanji.v1.RecordService").value_or(std::vector<std::string>{}),
              IsSupersetOf({"Put", "Get", "Delete", "List", "Watch"}));
  EXPECT_EQ(answers.back().error_response().error_code(),
            static_cast<int>(grpc::StatusCode::NOT_FOUND));
}

TEST_F(StockClientTest, ReflectionV1alphaListsAndDescribesEveryServiceHealthIncluded) {
  ExpectReflectionDescribesEveryService<V1alpha>(AppChannel());
}

TEST_F(StockClientTest, ReflectionV1ListsAndDescribesEveryServiceHealthIncluded) {
  ExpectReflectionDescribesEveryService<V1>(AppChannel());
}

}  // namespace
}  // namespace sanji::integration
