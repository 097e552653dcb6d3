// Server reflection v1 (grpc.reflection.v1.ServerReflection), which gRPC
// 1.51's own reflection plugin does not serve: it serves only v1alpha, and
// clients built on newer gRPC (grpcurl, `buf curl`, Postman) ask v1 first.
// sanjid serves both: v1alpha from gRPC's plugin and v1 from this class, from
// the same source, protobuf's generated descriptor pool, so the two always
// agree.
//
// The answers follow gRPC's v1alpha implementation: a file is sent with
// every file it imports (each once per answer); an unknown file, symbol,
// type or extension is an error_response of NOT_FOUND, a request of no kind
// one of UNIMPLEMENTED, and the stream goes on.
//
// Authorization: none beyond the TLS handshake, like health and v1alpha
// reflection. Descriptors are the public API (proto/), no records.
//
// Thread-safety: Answer is const and reads only the generated pool, which is
// immutable after static initialization; any number of streams may run.
#ifndef SANJI_NODE_REFLECTION_SERVICE_H_
#define SANJI_NODE_REFLECTION_SERVICE_H_

#include <string>
#include <vector>

#include "grpc/reflection/v1/reflection.grpc.pb.h"

namespace sanji::node {

class ReflectionV1Service final : public grpc::reflection::v1::ServerReflection::Service {
 public:
  // `services`: the full names list_services answers with, in that order.
  explicit ReflectionV1Service(std::vector<std::string> services);

  // The answer to one request.
  grpc::reflection::v1::ServerReflectionResponse Answer(
      const grpc::reflection::v1::ServerReflectionRequest& request) const;

  grpc::Status ServerReflectionInfo(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<grpc::reflection::v1::ServerReflectionResponse,
                               grpc::reflection::v1::ServerReflectionRequest>* stream) override;

 private:
  const std::vector<std::string> services_;
};

}  // namespace sanji::node

#endif  // SANJI_NODE_REFLECTION_SERVICE_H_
