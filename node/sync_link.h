// SyncLink: runs one sync session (replication::Session) over one gRPC
// stream, for either end: a child's link to the parent it dialed
// (node/parent_dialer.h) or a parent's link from a child that dialed it
// (node/sync_service.h).
//
// This is where a session's concurrency lives, and all of it. Each link has
// two threads: the one calling Run(), which alone drives the Session (it
// feeds it frames, ticks and store-change notices, writes the frames it
// emits and applies the batches it emits to the store), and a reader thread
// that blocks in the stream's Read, decodes what arrives (node/frame_codec.h)
// and queues it, so that expanding and parsing the next batch overlaps the
// apply of this one. Writes block while the transport is full, which is the
// back-pressure a slow peer exerts; reads go on meanwhile, so two links never
// wait on each other. The session's window bounds what is in flight, so the
// queue stays small.
//
// A commit to the store by anyone else (an application's write, another
// link's batch) reaches the session through the CommitNotifier; the session
// waits its push delay and sends the change. Each batch this link applies is
// announced to the other links the same way.
//
// How a link ends (Run's result): the session closed (its close_status, or
// OK when it ended by a refusal it sent and the peer then closed), the peer
// closed the stream or the connection broke (Unavailable, saying which), a
// frame did not decode (DataLoss: the peer is sent a BAD_FRAME refusal
// saying why, then the stream ends), the peer sent no hello in time
// (DeadlineExceeded), or Stop() (its reason).
//
// Thread-safety: Run() is called once, from one thread; Stop() and Status()
// from any thread.
#ifndef SANJI_NODE_SYNC_LINK_H_
#define SANJI_NODE_SYNC_LINK_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "admin.pb.h"
#include "conflict/clock.h"
#include "conflict/schema.h"
#include "conflict/schema_holder.h"
#include "node/commit_notifier.h"
#include "node/frame_codec.h"
#include "node/parent_clock.h"
#include "replication/session.h"
#include "replication/store_replica.h"
#include "store/store.h"
#include "sync.pb.h"

namespace sanji::node {

// The two ends of a gRPC bidi stream, as a link uses them.
// Thread-safety: Read on the reader thread, Write and CloseSend on the
// driver thread, Cancel from any thread.
class FrameStream {
 public:
  virtual ~FrameStream() = default;
  // Blocks until a frame arrives; false when the stream ended or broke.
  virtual bool Read(v1::WireFrame& frame) = 0;
  // Blocks until the transport takes the frame; false if the stream broke.
  virtual bool Write(const v1::WireFrame& frame) = 0;
  // Tells the peer nothing more will be written (a client's WritesDone).
  virtual void CloseSend() = 0;
  // Ends the stream now: blocked calls return false.
  virtual void Cancel() = 0;
  // After Read returned false: whether the connection broke (no answer to
  // keepalive pings, a reset) rather than the peer closing the stream.
  virtual bool Broken() const { return false; }
};

// Counts over every link of a node since it started.
struct LinkTotals {
  std::atomic<uint64_t> items_sent{0};
  std::atomic<uint64_t> items_received{0};
  std::atomic<uint64_t> items_refused{0};
  // Of items_refused, those whose timestamp was beyond the skew bound.
  std::atomic<uint64_t> timestamps_refused{0};
  // replication::SessionStats::fields_clashing.
  std::atomic<uint64_t> fields_clashing{0};
};

// What a link works with; all owned by the node and outliving the link.
struct LinkEnvironment {
  store::Store* store = nullptr;
  const replication::ReplicaReader* replica = nullptr;
  conflict::SchemaSource schema;
  CommitNotifier* notifier = nullptr;
  const conflict::PhysicalClock* clock = nullptr;
  LinkTotals* totals = nullptr;
  // A child's links tell it what their parent's clock says (null: nobody
  // listens).
  ParentClock* parent_clock = nullptr;
};

struct SyncLinkOptions {
  // Role, authenticated peer, batch limits, window, push delay, skew bound,
  // has_children.
  replication::SessionOptions session;
  // Compress the frames this side sends (the other side's frames say for
  // themselves).
  bool compress = false;
  // A received frame larger than this, compressed or expanded, ends the link.
  size_t max_frame_bytes = 16 << 20;
  // The peer must say hello within this long.
  std::chrono::milliseconds hello_timeout{10'000};
  // How long to wait for the peer to close after this side's session ended.
  std::chrono::milliseconds close_grace{2'000};
  // For status and logs: "gutian/fengpu" or "127.0.0.1:7001".
  std::string peer_label;
  std::string address;
};

class SyncLink {
 public:
  SyncLink(LinkEnvironment environment, SyncLinkOptions options, FrameStream* stream);
  ~SyncLink();
  SyncLink(const SyncLink&) = delete;
  SyncLink& operator=(const SyncLink&) = delete;

  // Runs the session until the link ends (see the file comment). REQUIRES:
  // called once; `stream` outlives the call.
  absl::Status Run();
  // Makes Run() return soon. With the default reason (the node stops) the
  // stream is cancelled at once; with any other (a newer session of the
  // same child replaced this one: Aborted), the peer is sent a refusal
  // (`code`) naming the reason first, and Run() returns `reason`. Any
  // thread, any time.
  void Stop(absl::Status reason = absl::CancelledError("the node is stopping"),
            v1::Refusal::Code code = v1::Refusal::CODE_UNSPECIFIED);

  // True once the peer's hello arrived (the link was established).
  bool established() const;
  // The link's state and counters now.
  v1::LinkStatus Status() const;

 private:
  // Sends the session's frames, logs its refusals and applies its batches,
  // until it has none. Returns false if the stream broke.
  bool Flush();
  void UpdateStatus();
  int64_t NowMicros() const { return environment_.clock->NowMicros(); }

  const LinkEnvironment environment_;
  const SyncLinkOptions options_;
  // "link <peer>": how the link names itself in log lines.
  const std::string log_label_;
  FrameStream* const stream_;
  replication::Session session_;
  FrameEncoder encoder_;
  FrameDecoder decoder_;  // the reader thread's only
  CommitNotifier::ListenerId listener_ = 0;

  // Shared with the reader thread, the notifier's listener and Stop().
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<v1::SyncFrame> inbox_;
  // The reader stopped: the peer closed or broke the stream, or sent a frame
  // that does not decode (frame_error_).
  bool reader_done_ = false;
  absl::Status frame_error_;
  bool store_changed_ = false;
  bool stop_ = false;
  absl::Status stop_reason_;
  v1::Refusal::Code stop_code_ = v1::Refusal::CODE_UNSPECIFIED;
  std::thread reader_;

  mutable std::mutex status_mu_;
  v1::LinkStatus status_;
  uint64_t wire_bytes_received_ = 0;  // reader thread's count, under mu_
  // The session's counts already added to environment_.totals.
  replication::SessionStats counted_;
  // The session's peer knowledge as status_ has it (the driver thread's).
  conflict::VersionVector published_peer_knowledge_;
};

}  // namespace sanji::node

#endif  // SANJI_NODE_SYNC_LINK_H_
