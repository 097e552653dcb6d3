// node/reflection_service: reflection v1's answers, asked in-process of the
// generated descriptor pool, as gRPC's v1alpha answers them: a file comes
// with its imports, unknown names are NOT_FOUND, and the stream goes on.
#include "node/reflection_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "admin.pb.h"
#include "google/protobuf/descriptor.pb.h"

namespace sanji::node {
namespace {

using grpc::reflection::v1::ServerReflectionRequest;
using grpc::reflection::v1::ServerReflectionResponse;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

// The names of the files an answer holds.
std::vector<std::string> FileNames(const ServerReflectionResponse& answer) {
  std::vector<std::string> names;
  for (const std::string& bytes : answer.file_descriptor_response().file_descriptor_proto()) {
    google::protobuf::FileDescriptorProto file;
    EXPECT_TRUE(file.ParseFromString(bytes));
    names.push_back(file.name());
  }
  return names;
}

class ReflectionServiceTest : public ::testing::Test {
 protected:
  ServerReflectionResponse Ask(const ServerReflectionRequest& request) const {
    return service_.Answer(request);
  }

  // Links admin.proto's descriptors (and its imports') into this test.
  const google::protobuf::Descriptor* admin_ = v1::NodeStatus::descriptor();
  const ReflectionV1Service service_{{"sanji.v1.AdminService", "grpc.health.v1.Health"}};
};

TEST_F(ReflectionServiceTest, ListsTheServicesItWasGiven) {
  ServerReflectionRequest request;
  request.set_host("localhost");
  request.set_list_services("");
  const ServerReflectionResponse answer = Ask(request);
  EXPECT_EQ(answer.valid_host(), "localhost");
  EXPECT_EQ(answer.original_request().list_services(), "");
  std::vector<std::string> names;
  for (const auto& service : answer.list_services_response().service()) {
    names.push_back(service.name());
  }
  EXPECT_THAT(names, ElementsAre("sanji.v1.AdminService", "grpc.health.v1.Health"));
}

TEST_F(ReflectionServiceTest, AFileComesWithEveryFileItImportsOnce) {
  ASSERT_NE(admin_, nullptr);
  ServerReflectionRequest request;
  request.set_file_by_filename("admin.proto");
  EXPECT_THAT(FileNames(Ask(request)),
              UnorderedElementsAre("admin.proto", "api.proto", "bundle.proto", "config.proto",
                                   "record.proto", "sync.proto"));
  request.set_file_containing_symbol("sanji.v1.AdminService.Status");
  EXPECT_EQ(FileNames(Ask(request)).front(), "admin.proto");
}

TEST_F(ReflectionServiceTest, UnknownNamesAreNotFoundAndAnEmptyRequestUnimplemented) {
  ServerReflectionRequest request;
  request.set_file_by_filename("nowhere.proto");
  EXPECT_EQ(Ask(request).error_response().error_code(), grpc::StatusCode::NOT_FOUND);
  request.set_file_containing_symbol("sanji.v1.Nothing");
  EXPECT_EQ(Ask(request).error_response().error_code(), grpc::StatusCode::NOT_FOUND);
  request.set_all_extension_numbers_of_type("sanji.v1.Nothing");
  EXPECT_EQ(Ask(request).error_response().error_code(), grpc::StatusCode::NOT_FOUND);
  request.mutable_file_containing_extension()->set_containing_type("sanji.v1.NodeStatus");
  request.mutable_file_containing_extension()->set_extension_number(1000);
  EXPECT_EQ(Ask(request).error_response().error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Ask(ServerReflectionRequest()).error_response().error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(ReflectionServiceTest, AMessageWithoutExtensionsHasNoExtensionNumbers) {
  ServerReflectionRequest request;
  request.set_all_extension_numbers_of_type("sanji.v1.NodeStatus");
  const ServerReflectionResponse answer = Ask(request);
  EXPECT_FALSE(answer.has_error_response());
  EXPECT_EQ(answer.all_extension_numbers_response().base_type_name(), "sanji.v1.NodeStatus");
  EXPECT_EQ(answer.all_extension_numbers_response().extension_number_size(), 0);
}

}  // namespace
}  // namespace sanji::node
