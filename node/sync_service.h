// SyncServiceImpl: the parent's end of sync sessions (proto/sync.proto,
// service Sync). A child dials and opens a stream; the service learns the
// child's identity from its TLS certificate, checks that the child lies
// below this node (and that this node takes children at all), and runs a
// SyncLink over the stream for as long as it lasts.
//
// Thread-safety: gRPC calls Session on its own threads, one per stream.
#ifndef SANJI_NODE_SYNC_SERVICE_H_
#define SANJI_NODE_SYNC_SERVICE_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
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
  // The peer's node id as its transport authenticated it (its certificate),
  // or an error that ends the call. Without TLS (--insecure) it returns an
  // empty id: the session then takes the id the hello claims.
  using Identify = std::function<absl::StatusOr<std::string>(const grpc::ServerContext&)>;

  struct Options {
    std::string node_id;
    // A leaf takes no children (config: leaf).
    bool leaf = false;
    // Batch limits, window, push delay, skew bound, frame limit and
    // timeouts; role, peer and compression are set per session.
    SyncLinkOptions link;
    Identify identify;
  };

  // REQUIRES: the environment and `registry` outlive the service.
  SyncServiceImpl(LinkEnvironment environment, Options options, LinkRegistry* registry)
      : environment_(environment), options_(std::move(options)), registry_(registry) {}

  grpc::Status Session(grpc::ServerContext* context,
                       grpc::ServerReaderWriter<v1::WireFrame, v1::WireFrame>* stream) override;

 private:
  const LinkEnvironment environment_;
  const Options options_;
  LinkRegistry* const registry_;
};

}  // namespace sanji::node

#endif  // SANJI_NODE_SYNC_SERVICE_H_
