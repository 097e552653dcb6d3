#include "node/admin_service.h"

#include "absl/strings/str_cat.h"
#include "codec/vector_codec.h"
#include "node/grpc_status.h"
#include "node/log.h"
#include "node/record_view.h"

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
// holds the same collections, fields, kinds, types, status orders and
// renames as s.
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
      field->set_name(collection.ApiName(field_name));
      if (!spec.renamed_to.empty()) {
        field->add_aliases(field_name);
        for (size_t i = 0; i + 1 < spec.renamed_to.size(); ++i) {
          field->add_aliases(spec.renamed_to[i]);
        }
      }
      field->set_kind(KindToConfig(spec.kind));
      field->set_type(TypeToConfig(spec.value_type));
      for (const std::string& value : spec.status_order) field->add_status_order(value);
      field->set_deprecated(spec.deprecated);
      field->set_answer(spec.answer);
    }
  }
  return config;
}

v1::ConflictEntry::Kind KindToApi(conflict::ConflictEvent::Kind kind) {
  switch (kind) {
    case conflict::ConflictEvent::Kind::kLwwOverwrite:
      return v1::ConflictEntry::LWW_OVERWRITE;
    case conflict::ConflictEvent::Kind::kMvSiblings:
      return v1::ConflictEntry::MV_SIBLINGS;
    case conflict::ConflictEvent::Kind::kWriteConcurrentWithDelete:
      return v1::ConflictEntry::WRITE_CONCURRENT_WITH_DELETE;
  }
  return v1::ConflictEntry::KIND_UNSPECIFIED;
}

void SideToApi(const conflict::ConflictSide& side, v1::ConflictSide* out) {
  DotToApi(side.dot, out->mutable_change());
  TimestampToApi(side.timestamp, out->mutable_time());
  if (side.value.has_value()) ValueToApi(*side.value, out->mutable_value());
  out->set_author(side.author);
}

void EntryToApi(const store::ConflictLogEntry& entry, v1::ConflictEntry* out) {
  out->set_sequence(entry.sequence);
  out->set_collection(entry.collection);
  out->set_key(entry.key);
  out->set_field(entry.event.field);
  out->set_kind(KindToApi(entry.event.kind));
  SideToApi(entry.event.kept, out->mutable_kept());
  SideToApi(entry.event.other, out->mutable_other());
  TimestampToApi(entry.recorded_at, out->mutable_recorded());
  out->set_resolved(entry.resolved_at.has_value());
  if (entry.resolved_at.has_value()) TimestampToApi(*entry.resolved_at, out->mutable_resolved_at());
  out->set_settled(entry.settled);
}

// The entry `found` holds, or its error.
grpc::Status AnswerEntry(const absl::StatusOr<store::ConflictLogEntry>& found,
                         v1::ConflictEntry* response) {
  if (!found.ok()) return ToGrpcStatus(found.status());
  EntryToApi(*found, response);
  return grpc::Status::OK;
}

}  // namespace

AdminServiceImpl::AdminServiceImpl(store::Store* store, conflict::SchemaSource schema,
                                   const Bundles* bundles, CallAuthorizer* authorizer,
                                   SchemaAdopter* adopter, std::function<v1::NodeStatus()> status)
    : store_(store),
      schema_(schema),
      bundles_(bundles),
      authorizer_(authorizer),
      adopter_(adopter),
      status_(std::move(status)) {}

grpc::Status AdminServiceImpl::Admit(const grpc::ServerContext& context,
                                     authz::Operation operation) {
  return ToGrpcStatus(authorizer_->Admit(context, operation).status());
}

grpc::Status AdminServiceImpl::Status(grpc::ServerContext* context, const v1::StatusRequest*,
                                      v1::NodeStatus* response) {
  if (grpc::Status admitted = Admit(*context, authz::Operation::kStatus); !admitted.ok()) {
    return admitted;
  }
  *response = status_();
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::Check(grpc::ServerContext* context, const v1::CheckRequest*,
                                     v1::CheckResponse* response) {
  if (grpc::Status admitted = Admit(*context, authz::Operation::kCheck); !admitted.ok()) {
    return admitted;
  }
  std::vector<std::string> clashes;
  const absl::Status checked = store_->CheckConsistency(&clashes);
  for (std::string& clash : clashes) response->add_field_clashes(std::move(clash));
  if (checked.ok() || checked.code() == absl::StatusCode::kDataLoss) {
    response->set_consistent(checked.ok());
    response->set_problems(std::string(checked.message()));
    return grpc::Status::OK;
  }
  return ToGrpcStatus(checked);
}

grpc::Status AdminServiceImpl::GetSchema(grpc::ServerContext* context, const v1::GetSchemaRequest*,
                                         v1::SchemaConfig* response) {
  if (grpc::Status admitted = Admit(*context, authz::Operation::kGetSchema); !admitted.ok()) {
    return admitted;
  }
  *response = SchemaToConfig(*schema_);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::PublishSchema(grpc::ServerContext* context,
                                             const v1::PublishSchemaRequest* request,
                                             v1::PublishSchemaResponse* response) {
  absl::StatusOr<authz::Identity> caller =
      authorizer_->Admit(*context, authz::Operation::kPublishSchema);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  absl::StatusOr<SchemaAdopter::Published> published =
      adopter_->Publish(request->file_name(), request->text(), caller->Uri());
  if (!published.ok()) return ToGrpcStatus(published.status());
  response->set_version(published->version);
  response->set_previous_version(published->previous_version);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::ListConflicts(grpc::ServerContext* context,
                                             const v1::ListConflictsRequest* request,
                                             v1::ListConflictsResponse* response) {
  if (grpc::Status admitted = Admit(*context, authz::Operation::kListConflicts); !admitted.ok()) {
    return admitted;
  }
  const absl::StatusOr<std::vector<store::ConflictLogEntry>> entries = store_->ListConflicts(
      request->after_sequence(), request->limit(),
      request->unresolved_only() ? store::ConflictFilter::kOpen : store::ConflictFilter::kAll);
  if (!entries.ok()) return ToGrpcStatus(entries.status());
  for (const store::ConflictLogEntry& entry : *entries) EntryToApi(entry, response->add_entries());
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::GetConflict(grpc::ServerContext* context,
                                           const v1::GetConflictRequest* request,
                                           v1::ConflictEntry* response) {
  if (grpc::Status admitted = Admit(*context, authz::Operation::kGetConflict); !admitted.ok()) {
    return admitted;
  }
  return AnswerEntry(store_->GetConflict(request->sequence()), response);
}

grpc::Status AdminServiceImpl::ResolveConflict(grpc::ServerContext* context,
                                               const v1::ResolveConflictRequest* request,
                                               v1::ConflictEntry* response) {
  if (grpc::Status admitted = Admit(*context, authz::Operation::kResolveConflict); !admitted.ok()) {
    return admitted;
  }
  return AnswerEntry(store_->ResolveConflict(request->sequence()), response);
}

grpc::Status AdminServiceImpl::ExportBundle(grpc::ServerContext* context,
                                            const v1::ExportBundleRequest* request,
                                            grpc::ServerWriter<v1::BundleChunk>* writer) {
  if (grpc::Status admitted = Admit(*context, authz::Operation::kExportBundle); !admitted.ok()) {
    return admitted;
  }
  return ToGrpcStatus(bundles_->Export(*request, [writer](absl::string_view bytes) {
    v1::BundleChunk chunk;
    chunk.set_data(std::string(bytes));
    if (writer->Write(chunk)) return absl::OkStatus();
    return absl::CancelledError("the client went away during the export");
  }));
}

grpc::Status AdminServiceImpl::ImportBundle(grpc::ServerContext* context,
                                            grpc::ServerReader<v1::BundleChunk>* reader,
                                            v1::ImportBundleResponse* response) {
  if (grpc::Status admitted = Admit(*context, authz::Operation::kImportBundle); !admitted.ok()) {
    return admitted;
  }
  std::string bytes;
  v1::BundleChunk chunk;
  while (reader->Read(&chunk)) {
    if (bytes.size() + chunk.data().size() > kMaxBundleBytes) {
      return ToGrpcStatus(absl::ResourceExhaustedError(absl::StrCat(
          "the bundle is larger than ", kMaxBundleBytes, " bytes, the most a node takes in")));
    }
    bytes += chunk.data();
  }
  absl::StatusOr<v1::ImportBundleResponse> imported = bundles_->Import(bytes);
  if (!imported.ok()) return ToGrpcStatus(imported.status());
  *response = *std::move(imported);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::Backup(grpc::ServerContext* context,
                                      const v1::BackupRequest* request,
                                      v1::BackupResponse* response) {
  if (grpc::Status admitted = Admit(*context, authz::Operation::kBackup); !admitted.ok()) {
    return admitted;
  }
  const std::string& directory = request->directory();
  if (directory.empty() || directory.front() != '/') {
    return ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat(
        "the backup directory \"", directory, "\" is not an absolute path on the node's machine")));
  }
  absl::StatusOr<store::BackupResult> copied = store_->Backup(directory);
  if (!copied.ok()) return ToGrpcStatus(copied.status());
  response->set_directory(directory);
  response->set_keys(copied->keys);
  response->set_bytes(copied->bytes);
  response->set_incarnation(copied->incarnation);
  codec::EncodeVersionVector(copied->knowledge, response->mutable_knowledge());
  LogInfo("backed up the store to ", directory, ": ", copied->keys, " keys, ", copied->bytes,
          " bytes");
  return grpc::Status::OK;
}

}  // namespace sanji::node
