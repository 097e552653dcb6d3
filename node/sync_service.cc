#include "node/sync_service.h"

#include "absl/strings/str_cat.h"
#include "node/log.h"

namespace sanji::node {
namespace {

class ServerFrameStream final : public FrameStream {
 public:
  ServerFrameStream(grpc::ServerContext* context,
                    grpc::ServerReaderWriter<v1::WireFrame, v1::WireFrame>* stream)
      : context_(context), stream_(stream) {}

  bool Read(v1::WireFrame& frame) override { return stream_->Read(&frame); }
  bool Write(const v1::WireFrame& frame) override { return stream_->Write(frame); }
  // The server's side ends when the handler returns.
  void CloseSend() override {}
  void Cancel() override { context_->TryCancel(); }
  // A child that closes its side ends the stream; a call cancelled without
  // that is a connection gone (keepalive, reset).
  bool Broken() const override { return context_->IsCancelled(); }

 private:
  grpc::ServerContext* const context_;
  grpc::ServerReaderWriter<v1::WireFrame, v1::WireFrame>* const stream_;
};

// The kCompressionMetadataKey value the child sent, or "".
absl::string_view RequestedCompression(const grpc::ServerContext& context) {
  const auto& metadata = context.client_metadata();
  const auto found = metadata.find(kCompressionMetadataKey);
  if (found == metadata.end()) return "";
  return absl::string_view(found->second.data(), found->second.size());
}

}  // namespace

grpc::Status SyncServiceImpl::Session(
    grpc::ServerContext* context, grpc::ServerReaderWriter<v1::WireFrame, v1::WireFrame>* stream) {
  const std::string address = context->peer();
  absl::StatusOr<authz::Identity> caller = authorizer_->Admit(*context, authz::Operation::kSession);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  // A plaintext caller (--insecure) is known only by what its hello claims.
  const std::string peer = caller->kind == authz::Identity::Kind::kNode ? caller->scope : "";
  if (options_.leaf) {
    LogWarning("refused a sync session from ", caller->Uri(), " at ", address, ": ",
               options_.node_id, " is a leaf and takes no children");
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat(options_.node_id, " is a leaf node and takes no children"));
  }

  SyncLinkOptions link_options = options_.link;
  link_options.session.role = replication::SessionOptions::Role::kParent;
  link_options.session.authenticated_peer = peer;
  link_options.session.has_children = true;
  const absl::string_view compression = RequestedCompression(*context);
  link_options.compress = compression == kCompressionZstd;
  if (compression == kCompressionGzip) context->set_compression_algorithm(GRPC_COMPRESS_GZIP);
  const std::string label = peer.empty() ? address : peer;
  link_options.peer_label = label;
  link_options.address = address;
  ServerFrameStream frames(context, stream);
  SyncLink link(environment_, std::move(link_options), &frames);
  const uint64_t id = registry_->Add(label, address, &link);
  if (id == 0) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        absl::StrCat(options_.node_id, " is stopping"));
  }
  LogInfo("session from ", label, " opened");
  const absl::Status ended = link.Run();
  registry_->Remove(id);
  LogInfo("session from ", label, " ended: ", ended.ok() ? "ok" : ended.ToString());
  return ToGrpcStatus(ended);
}

}  // namespace sanji::node
