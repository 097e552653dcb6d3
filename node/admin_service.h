// AdminServiceImpl: what the operator's sanjictl asks of a node
// (proto/admin.proto): its status, the store's consistency check, the schema
// it runs and the publication of a new version (node/schema_adopter.h), its conflict log (listed,
// shown and marked resolved), offline bundles made and taken in (node/bundle.h), and backups of the
// store. Every call is first admitted by the node's CallAuthorizer: an operator whose scope holds
// the node, or any certificate for GetSchema.
//
// Thread-safety: gRPC calls it on its own threads; the status source, the
// store, the bundles and the schema adopter are thread-safe, and the schema
// source reads a thread-safe holder.
#ifndef SANJI_NODE_ADMIN_SERVICE_H_
#define SANJI_NODE_ADMIN_SERVICE_H_

#include <functional>
#include <utility>

#include "admin.grpc.pb.h"
#include "config.pb.h"
#include "conflict/schema.h"
#include "conflict/schema_holder.h"
#include "node/bundle.h"
#include "node/call_authorizer.h"
#include "node/schema_adopter.h"
#include "store/store.h"

namespace sanji::node {

class AdminServiceImpl final : public v1::AdminService::Service {
 public:
  // GetSchema answers the schema `schema` holds at the call: whether the
  // config wrote it inline, in a schema_file, or the county published it.
  // REQUIRES: `store`, `bundles`, `authorizer` and `adopter` outlive the
  // service; `status` is thread-safe.
  AdminServiceImpl(store::Store* store, conflict::SchemaSource schema, const Bundles* bundles,
                   CallAuthorizer* authorizer, SchemaAdopter* adopter,
                   std::function<v1::NodeStatus()> status);

  grpc::Status Status(grpc::ServerContext* context, const v1::StatusRequest* request,
                      v1::NodeStatus* response) override;
  grpc::Status Check(grpc::ServerContext* context, const v1::CheckRequest* request,
                     v1::CheckResponse* response) override;
  grpc::Status GetSchema(grpc::ServerContext* context, const v1::GetSchemaRequest* request,
                         v1::SchemaConfig* response) override;
  grpc::Status PublishSchema(grpc::ServerContext* context, const v1::PublishSchemaRequest* request,
                             v1::PublishSchemaResponse* response) override;
  grpc::Status ListConflicts(grpc::ServerContext* context, const v1::ListConflictsRequest* request,
                             v1::ListConflictsResponse* response) override;
  grpc::Status GetConflict(grpc::ServerContext* context, const v1::GetConflictRequest* request,
                           v1::ConflictEntry* response) override;
  grpc::Status ResolveConflict(grpc::ServerContext* context,
                               const v1::ResolveConflictRequest* request,
                               v1::ConflictEntry* response) override;
  grpc::Status ExportBundle(grpc::ServerContext* context, const v1::ExportBundleRequest* request,
                            grpc::ServerWriter<v1::BundleChunk>* writer) override;
  // The bundle is read whole into memory (at most kMaxBundleBytes) and
  // checked before any of it is applied.
  grpc::Status ImportBundle(grpc::ServerContext* context,
                            grpc::ServerReader<v1::BundleChunk>* reader,
                            v1::ImportBundleResponse* response) override;
  grpc::Status Backup(grpc::ServerContext* context, const v1::BackupRequest* request,
                      v1::BackupResponse* response) override;

 private:
  // OK if the caller of `context` may perform `operation` here; the refusal
  // as the call's status otherwise.
  grpc::Status Admit(const grpc::ServerContext& context, authz::Operation operation);

  store::Store* const store_;
  const conflict::SchemaSource schema_;
  const Bundles* const bundles_;
  CallAuthorizer* const authorizer_;
  SchemaAdopter* const adopter_;
  const std::function<v1::NodeStatus()> status_;
};

}  // namespace sanji::node

#endif  // SANJI_NODE_ADMIN_SERVICE_H_
