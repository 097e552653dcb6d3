#include "node/admin_service.h"

#include "node/grpc_status.h"

namespace sanji::node {
namespace {

v1::FieldConfig::Kind KindToConfig(conflict::FieldKind kind) {
  switch (kind) {
    case conflict::FieldKind::kLww:
      return v1::FieldConfig::LWW;
    case conflict::FieldKind::kMv:
      return v1::FieldConfig::MV;
    case conflict::FieldKind::kCounter:
      return v1::FieldConfig::COUNTER;
    case conflict::FieldKind::kSet:
      return v1::FieldConfig::SET;
    case conflict::FieldKind::kStatus:
      return v1::FieldConfig::STATUS;
  }
  return v1::FieldConfig::KIND_UNSPECIFIED;
}

v1::FieldConfig::ValueType TypeToConfig(conflict::ValueType type) {
  switch (type) {
    case conflict::ValueType::kString:
      return v1::FieldConfig::STRING;
    case conflict::ValueType::kInt:
      return v1::FieldConfig::INT;
    case conflict::ValueType::kDouble:
      return v1::FieldConfig::DOUBLE;
    case conflict::ValueType::kBool:
      return v1::FieldConfig::BOOL;
  }
  return v1::FieldConfig::STRING;
}

// The inverse of node/config.h's BuildSchema: BuildSchema(SchemaToConfig(s))
// holds the same collections, fields, kinds, types and status orders as s.
// Sanji's own collections ('@') are left out: BuildSchema adds them itself
// and refuses them in what it reads.
v1::SchemaConfig SchemaToConfig(const conflict::Schema& schema) {
  v1::SchemaConfig config;
  for (const auto& [name, collection] : schema.collections()) {
    if (name.front() == '@') continue;
    v1::CollectionConfig* out = config.add_collections();
    out->set_name(name);
    for (const auto& [field_name, spec] : collection.fields()) {
      v1::FieldConfig* field = out->add_fields();
      field->set_name(field_name);
      field->set_kind(KindToConfig(spec.kind));
      field->set_type(TypeToConfig(spec.value_type));
      for (const std::string& value : spec.status_order) field->add_status_order(value);
    }
  }
  return config;
}

}  // namespace

AdminServiceImpl::AdminServiceImpl(store::Store* store, const conflict::Schema& schema,
                                   std::function<v1::NodeStatus()> status)
    : store_(store), schema_(SchemaToConfig(schema)), status_(std::move(status)) {}

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

grpc::Status AdminServiceImpl::GetSchema(grpc::ServerContext*, const v1::GetSchemaRequest*,
                                         v1::SchemaConfig* response) {
  *response = schema_;
  return grpc::Status::OK;
}

}  // namespace sanji::node
