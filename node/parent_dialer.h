// ParentDialer: a child node's way up the tree (ARCHITECTURE.md §1). A child
// always dials; no parent ever dials a child (villages sit behind NAT on 4G).
//
// The dialer keeps one sync session open to one parent at a time, trying the
// parents in the configured order:
//  - A failed dial or a session that ends is retried after an exponential
//    backoff with jitter (backoff_initial_ms doubling up to backoff_max_ms,
//    each wait drawn from [b/2, b] so that the villages of a township that
//    comes back do not all redial at the same instant); a session that got
//    as far as the hellos resets the backoff.
//  - When the current parent has been unreachable for failover_after_ms, the
//    dialer moves to the next parent in the list (after the last, back to the
//    first).
//  - While on any parent but the first, it checks every primary_probe_ms
//    whether the first answers (a TLS connection completes); when it does,
//    the session to the fallback is ended and the dialer returns to the
//    first. Nothing crosses twice for it: dots name their origin (DESIGN.md).
//  - Keepalive pings every keepalive_time_ms on the channel: a dead 4G link
//    is noticed within keepalive_time_ms + keepalive_timeout_ms, not at the
//    TCP timeout of many minutes.
//
// Thread-safety: Start, Stop and Status may be called from any thread; the
// dialer runs on a thread of its own (plus a probe thread while on a
// fallback parent, and the link's reader thread).
#ifndef SANJI_NODE_PARENT_DIALER_H_
#define SANJI_NODE_PARENT_DIALER_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "admin.pb.h"
#include "config.pb.h"
#include "grpcpp/grpcpp.h"
#include "node/sync_link.h"

namespace sanji::node {

// Channel arguments of every link to a parent: keepalive, message size
// limits, and gRPC's own reconnect backoff kept short (the dialer runs its
// own backoff and failover, on fresh channels).
grpc::ChannelArguments ParentChannelArguments(const v1::TimeoutConfig& timeouts,
                                              uint32_t max_message_bytes);

struct DialerOptions {
  struct Parent {
    std::string id;
    std::string address;
    // COMPRESSION_AUTO already resolved: NONE, ZSTD (Sanji's frames) or
    // GZIP (gRPC's message compression).
    v1::ParentConfig::Compression compression = v1::ParentConfig::COMPRESSION_NONE;
  };
  std::vector<Parent> parents;
  v1::TimeoutConfig timeouts;
  uint32_t max_message_bytes = 16 << 20;
  // Batch limits, window, push delay, skew bound, frame limit and
  // timeouts; role, peer and compression are set per parent.
  SyncLinkOptions link;
  // Credentials to dial the parent with this id: TLS that checks the
  // parent's certificate names it, or insecure ones.
  std::function<absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>(const std::string& id)>
      credentials;
};

class ParentDialer {
 public:
  // REQUIRES: options.parents is not empty; the environment outlives the
  // dialer.
  ParentDialer(LinkEnvironment environment, DialerOptions options);
  // Stops and joins.
  ~ParentDialer();
  ParentDialer(const ParentDialer&) = delete;
  ParentDialer& operator=(const ParentDialer&) = delete;

  void Start();
  // Ends the current session and returns once the dialer's thread ended.
  void Stop();

  // The current session's status, or why there is none.
  v1::LinkStatus Status() const;

 private:
  void Loop();
  // Dials parent `index` and runs a session until it ends. Sets `preempted`
  // if it ended because the first parent answers again.
  bool RunOnce(size_t index, bool& preempted);
  // Waits `duration` unless stopped; false if stopped.
  bool Wait(std::chrono::milliseconds duration);
  void SetIdleStatus(size_t index, v1::LinkStatus::State state, const std::string& error);

  const LinkEnvironment environment_;
  const DialerOptions options_;
  std::thread thread_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  SyncLink* current_link_ = nullptr;                // guarded by mu_
  grpc::ClientContext* current_context_ = nullptr;  // guarded by mu_
  v1::LinkStatus idle_status_;                      // guarded by mu_
};

}  // namespace sanji::node

#endif  // SANJI_NODE_PARENT_DIALER_H_
