#include "node/reflection_service.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

#include <set>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace sanji::node {
namespace {

namespace pb = google::protobuf;
using grpc::reflection::v1::ServerReflectionRequest;
using grpc::reflection::v1::ServerReflectionResponse;

const pb::DescriptorPool& Pool() { return *pb::DescriptorPool::generated_pool(); }

// Adds `file` and, depth first, every file it imports that `sent` lacks: a
// client needs the imports to build the file's descriptors.
void AddFile(const pb::FileDescriptor* file, std::set<std::string>& sent,
             grpc::reflection::v1::FileDescriptorResponse* out) {
  if (!sent.insert(file->name()).second) return;
  pb::FileDescriptorProto proto;
  file->CopyTo(&proto);
  out->add_file_descriptor_proto(proto.SerializeAsString());
  for (int i = 0; i < file->dependency_count(); ++i) AddFile(file->dependency(i), sent, out);
}

// Fills `response` with `file` and its imports, or NOT_FOUND for null.
grpc::Status AnswerFile(const pb::FileDescriptor* file, absl::string_view what,
                        ServerReflectionResponse& response) {
  if (file == nullptr) return grpc::Status(grpc::StatusCode::NOT_FOUND, std::string(what));
  std::set<std::string> sent;
  AddFile(file, sent, response.mutable_file_descriptor_response());
  return grpc::Status::OK;
}

grpc::Status AnswerExtension(const grpc::reflection::v1::ExtensionRequest& request,
                             ServerReflectionResponse& response) {
  const pb::Descriptor* type = Pool().FindMessageTypeByName(request.containing_type());
  if (type == nullptr) return grpc::Status(grpc::StatusCode::NOT_FOUND, "Type not found.");
  const pb::FieldDescriptor* extension =
      Pool().FindExtensionByNumber(type, request.extension_number());
  return AnswerFile(extension != nullptr ? extension->file() : nullptr, "Extension not found.",
                    response);
}

grpc::Status AnswerExtensionNumbers(const std::string& type_name,
                                    ServerReflectionResponse& response) {
  const pb::Descriptor* type = Pool().FindMessageTypeByName(type_name);
  if (type == nullptr) return grpc::Status(grpc::StatusCode::NOT_FOUND, "Type not found.");
  std::vector<const pb::FieldDescriptor*> extensions;
  Pool().FindAllExtensions(type, &extensions);
  grpc::reflection::v1::ExtensionNumberResponse* numbers =
      response.mutable_all_extension_numbers_response();
  numbers->set_base_type_name(type->full_name());
  for (const pb::FieldDescriptor* extension : extensions) {
    numbers->add_extension_number(extension->number());
  }
  return grpc::Status::OK;
}

}  // namespace

ReflectionV1Service::ReflectionV1Service(std::vector<std::string> services)
    : services_(std::move(services)) {}

ServerReflectionResponse ReflectionV1Service::Answer(const ServerReflectionRequest& request) const {
  ServerReflectionResponse response;
  response.set_valid_host(request.host());
  *response.mutable_original_request() = request;
  grpc::Status status;
  switch (request.message_request_case()) {
    case ServerReflectionRequest::kListServices:
      for (const std::string& name : services_) {
        response.mutable_list_services_response()->add_service()->set_name(name);
      }
      break;
    case ServerReflectionRequest::kFileByFilename:
      status = AnswerFile(Pool().FindFileByName(request.file_by_filename()), "File not found.",
                          response);
      break;
    case ServerReflectionRequest::kFileContainingSymbol:
      status = AnswerFile(Pool().FindFileContainingSymbol(request.file_containing_symbol()),
                          "Symbol not found.", response);
      break;
    case ServerReflectionRequest::kFileContainingExtension:
      status = AnswerExtension(request.file_containing_extension(), response);
      break;
    case ServerReflectionRequest::kAllExtensionNumbersOfType:
      status = AnswerExtensionNumbers(request.all_extension_numbers_of_type(), response);
      break;
    case ServerReflectionRequest::MESSAGE_REQUEST_NOT_SET:
      status = grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "The request names no question.");
      break;
  }
  if (!status.ok()) {
    response.mutable_error_response()->set_error_code(status.error_code());
    response.mutable_error_response()->set_error_message(status.error_message());
  }
  return response;
}

grpc::Status ReflectionV1Service::ServerReflectionInfo(
    grpc::ServerContext* /*context*/,
    grpc::ServerReaderWriter<ServerReflectionResponse, ServerReflectionRequest>* stream) {
  ServerReflectionRequest request;
  while (stream->Read(&request)) {
    if (!stream->Write(Answer(request))) break;  // the client went away
  }
  return grpc::Status::OK;
}

}  // namespace sanji::node
