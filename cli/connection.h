// Connection: sanjictl's channel to one node, over mutual TLS as the
// operator's client certificate (or plaintext with --insecure), with the
// stubs of its services and one way to make a unary call: with the
// --timeout deadline, its grpc::Status turned into an absl::Status once.
//
// The server is accepted as any node of the county CA: the operator names a
// node by its address, and which node answers is shown by `status`.
//
// Thread-safety: as gRPC stubs, calls may run concurrently; sanjictl makes
// them from one thread.
#ifndef SANJI_CLI_CONNECTION_H_
#define SANJI_CLI_CONNECTION_H_

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "admin.grpc.pb.h"
#include "api.grpc.pb.h"
#include "cli/global_flags.h"
#include "conflict/schema.h"

namespace sanji::cli {

class Connection {
 public:
  // Makes the channel (it connects on the first call). Errors:
  // InvalidArgument naming the flag to pass when a TLS file is not given,
  // or when --insecure names a non-loopback endpoint; the errors of
  // node::ChannelCredentials for files that are missing or not PEM.
  static absl::StatusOr<Connection> Open(const GlobalFlags& flags);

  // Calls `method` of `stub` with the --timeout deadline. Errors: the call's
  // gRPC status, with the same code (see node/grpc_status.h); an
  // unreachable node is Unavailable (or DeadlineExceeded) naming the endpoint.
  template <typename Stub, typename Request, typename Response>
  absl::StatusOr<Response> Call(Stub& stub,
                                grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                             Response*),
                                const Request& request) const {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + timeout_);
    Response response;
    const grpc::Status status = (stub.*method)(&context, request, &response);
    if (!status.ok()) return FromGrpc(status);
    return response;
  }

  // Sets the deadline of a streaming call: the --timeout, or `at_least` if
  // that is longer (a bundle or a backup takes as long as its size).
  void SetDeadline(grpc::ClientContext& context, std::chrono::milliseconds at_least) const {
    context.set_deadline(std::chrono::system_clock::now() + std::max(timeout_, at_least));
  }

  // The schema the node holds (AdminService.GetSchema). Errors as Call.
  absl::StatusOr<conflict::Schema> Schema() const;

  // The call's status as an absl::Status (same code and message; the
  // endpoint is named when the node could not be reached).
  absl::Status FromGrpc(const grpc::Status& status) const;

  v1::RecordService::Stub& records() const { return *records_; }
  v1::AdminService::Stub& admin() const { return *admin_; }

 private:
  Connection(std::string endpoint, std::chrono::milliseconds timeout,
             std::shared_ptr<grpc::Channel> channel);

  std::string endpoint_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<v1::RecordService::Stub> records_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
};

}  // namespace sanji::cli

#endif  // SANJI_CLI_CONNECTION_H_
