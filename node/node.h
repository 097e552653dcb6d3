// Node: one sanjid, assembled from its parts (ARCHITECTURE.md §6). It owns
// nothing clever itself: it opens the store, builds the services over it
// (RecordService for applications, AdminService for sanjictl, Sync for
// children, gRPC's health and reflection services; node/reflection_service.h
// for reflection v1), starts the server and,
// below the root, the dialer that keeps a session open to a parent.
//
// Where the threads are: gRPC's server threads run the unary calls and one
// per child session or watch stream; each sync link adds a reader thread
// (node/sync_link.h, which holds all of a session's concurrency); the dialer
// has its own thread. Everything they share is thread-safe: the store, the
// commit notifier, the link registry.
//
// The node's status record (node/status_writer.h) is written on a thread of
// its own from the start until shutdown. The schema adopter
// (node/schema_adopter.h) has one too: the schema the store, the sessions
// and the services read is the holder's current version, which it swaps when
// a newer published version arrives.
//
// Health answers SERVING for "" (the whole node) and for each of its
// services' full names (sanji.v1.RecordService, sanji.v1.AdminService,
// sanji.v1.Sync) once the store is open and the server listens.
//
// Shutdown (SIGTERM): health turns NOT_SERVING (every name), the status writer stops,
// the dialer and every child session stop (a batch being applied finishes:
// each is one atomic commit; batches not yet applied are abandoned and
// resent by the next session, which nothing already applied crosses again),
// the server drains calls within a few seconds, and the store flushes and
// closes.
//
// Thread-safety: Start and Shutdown from one thread; Status from any.
#ifndef SANJI_NODE_NODE_H_
#define SANJI_NODE_NODE_H_

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "admin.pb.h"
#include "grpcpp/grpcpp.h"
#include "node/admin_service.h"
#include "node/bundle.h"
#include "node/call_authorizer.h"
#include "node/commit_notifier.h"
#include "node/config.h"
#include "node/link_registry.h"
#include "node/parent_clock.h"
#include "node/parent_dialer.h"
#include "node/record_service.h"
#include "node/reflection_service.h"
#include "node/schema_adopter.h"
#include "node/status_writer.h"
#include "node/sync_service.h"
#include "node/system_clock.h"
#include "replication/store_replica.h"
#include "store/store.h"

namespace sanji::node {

struct NodeOptions {
  // Plaintext instead of mutual TLS (sanjid --insecure): allowed only when
  // the listen address and every parent address are loopback.
  bool insecure = false;
  // The physical clock of the node's HLC, its links and its status; null
  // means the machine's wall clock. Tests inject one to run a node whose
  // clock is wrong. REQUIRES: outlives the node; thread-safe.
  const conflict::PhysicalClock* clock = nullptr;
  // sanjid --reset-clock: the machine's clock is right now, so the node's
  // saved clock, if ahead of it, steps back to it at start
  // (conflict/hlc.h, "StepBack"; README, "When a clock was wrong").
  bool reset_clock = false;
};

class Node {
 public:
  // Opens the store and starts serving. Errors name what failed: the
  // store (store::Store::Open's errors), the certificate files or their
  // identity, an address it cannot listen on, --insecure off loopback.
  static absl::StatusOr<std::unique_ptr<Node>> Start(LoadedConfig config, NodeOptions options);
  // Shuts down if Shutdown was not called.
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // See the file comment. Idempotent.
  void Shutdown();

  // The port the server listens on (the configured one, or the one the
  // system chose for port 0).
  int port() const { return port_; }
  v1::NodeStatus Status() const;

 private:
  Node(LoadedConfig config, NodeOptions options);
  absl::Status Open();
  // Logs a saved clock ahead of the machine's, or steps it back for
  // NodeOptions::reset_clock. Errors: the step's commit error.
  absl::Status CheckSavedClock();

  const LoadedConfig config_;
  const NodeOptions options_;
  SystemClock system_clock_;
  const conflict::PhysicalClock* const clock_;  // options_.clock or system_clock_
  const int64_t started_micros_;
  // The HLC's reference: the parent's clock, as the parent links read it.
  ParentClock parent_clock_;
  // The schema every part reads: the config's, then each published version
  // adopted. Outlives everything that reads it.
  conflict::SchemaHolder schemas_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<replication::StoreReplica> replica_;
  CommitNotifier notifier_;
  std::unique_ptr<SchemaAdopter> adopter_;
  LinkTotals totals_;
  LinkRegistry children_;
  // Who may call what; every service asks it (ARCHITECTURE.md §4).
  CallAuthorizer authorizer_;
  std::unique_ptr<SyncServiceImpl> sync_service_;
  std::unique_ptr<RecordServiceImpl> record_service_;
  // Offline bundles, for the admin service.
  std::unique_ptr<Bundles> bundles_;
  std::unique_ptr<AdminServiceImpl> admin_service_;
  std::unique_ptr<ReflectionV1Service> reflection_v1_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<ParentDialer> dialer_;
  // Writes the node's @status record; stopped first at shutdown, while the
  // store and the links it reads are still there.
  std::unique_ptr<StatusWriter> status_writer_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace sanji::node

#endif  // SANJI_NODE_NODE_H_
