// AdminServiceImpl: what the operator's sanjictl asks of a node
// (proto/admin.proto): its status and the store's consistency check.
//
// Thread-safety: gRPC calls it on its own threads; the status source and the
// store are thread-safe.
#ifndef SANJI_NODE_ADMIN_SERVICE_H_
#define SANJI_NODE_ADMIN_SERVICE_H_

#include <functional>
#include <utility>

#include "admin.grpc.pb.h"
#include "store/store.h"

namespace sanji::node {

class AdminServiceImpl final : public v1::AdminService::Service {
 public:
  // REQUIRES: `store` outlives the service; `status` is thread-safe.
  AdminServiceImpl(store::Store* store, std::function<v1::NodeStatus()> status)
      : store_(store), status_(std::move(status)) {}

  grpc::Status Status(grpc::ServerContext* context, const v1::StatusRequest* request,
                      v1::NodeStatus* response) override;
  grpc::Status Check(grpc::ServerContext* context, const v1::CheckRequest* request,
                     v1::CheckResponse* response) override;

 private:
  store::Store* const store_;
  const std::function<v1::NodeStatus()> status_;
};

}  // namespace sanji::node

#endif  // SANJI_NODE_ADMIN_SERVICE_H_
