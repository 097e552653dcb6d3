// SyncServiceImpl: the parent's end of sync sessions (proto/sync.proto,
// service Sync). A child dials and opens a stream; the service learns the
// child's identity from its TLS certificate, asks the node's authorizer
// whether it may sync (a node below this one), checks that this node takes
// children at all, and runs a SyncLink over the stream for as long as it
// lasts.
//
// Thread-safety: gRPC calls Session on its own threads, one per stream.
#ifndef SANJI_NODE_SYNC_SERVICE_H_
#define SANJI_NODE_SYNC_SERVICE_H_

#include <string>

#include "node/call_authorizer.h"
#include "node/grpc_status.h"
#include "node/link_registry.h"
#include "node/sync_link.h"
#include "sync.grpc.pb.h"

namespace sanji::node {

// Request metadata by which a child asks for compression of what the
// parent sends: zstd-compressed frames, or gRPC's gzip of every message
// (the child compresses its own messages the same way).
inline constexpr char kCompressionMetadataKey[] = "sanji-compression";
inline constexpr char kCompressionZstd[] = "zstd";
inline constexpr char kCompressionGzip[] = "gzip";

class SyncServiceImpl final : public v1::Sync::Service {
 public:
  struct Options {
    std::string node_id;
    // A leaf takes no children (config: leaf).
    bool leaf = false;
    // Batch limits, window, push delay, skew bound, frame limit and
    // timeouts; role, peer and compression are set per session.
    SyncLinkOptions link;
  };

  // Without TLS (--insecure) `authorizer` admits a plaintext caller, and the
  // session takes the id its hello claims.
  // REQUIRES: the environment, `registry` and `authorizer` outlive the
  // service.
  SyncServiceImpl(LinkEnvironment environment, Options options, LinkRegistry* registry,
                  CallAuthorizer* authorizer)
      : environment_(environment),
        options_(std::move(options)),
        registry_(registry),
        authorizer_(authorizer) {}

  grpc::Status Session(grpc::ServerContext* context,
                       grpc::ServerReaderWriter<v1::WireFrame, v1::WireFrame>* stream) override;

 private:
  const LinkEnvironment environment_;
  const Options options_;
  LinkRegistry* const registry_;
  CallAuthorizer* const authorizer_;
};

}  // namespace sanji::node

#endif  // SANJI_NODE_SYNC_SERVICE_H_
