#include "node/admin_service.h"

#include "node/grpc_status.h"

namespace sanji::node {

grpc::Status AdminServiceImpl::Status(grpc::ServerContext*, const v1::StatusRequest*,
                                      v1::NodeStatus* response) {
  *response = status_();
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::Check(grpc::ServerContext*, const v1::CheckRequest*,
                                     v1::CheckResponse* response) {
  const absl::Status checked = store_->CheckConsistency();
  if (checked.ok() || checked.code() == absl::StatusCode::kDataLoss) {
    response->set_consistent(checked.ok());
    response->set_problems(std::string(checked.message()));
    return grpc::Status::OK;
  }
  return ToGrpcStatus(checked);
}

}  // namespace sanji::node
