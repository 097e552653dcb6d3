// StatusWriter: writes the node's own status record (node/status_schema.h)
// through the store, as a normal local write: it takes a dot, commits, and
// the sync links push it up like any change (the CommitNotifier tells them).
//
// When (node/status_schedule.h): at start, within a poll interval of a link
// changing state (at most once per debounce), and at least once per period.
// There is no callback for a link's state, so the writer looks at the
// node's status every poll interval (min(1 s, period)): a few mutex locks.
// Record counts read the store (a capped scan), so they are taken on the
// periodic writes only and reused by the writes a link change triggers.
//
// Thread-safety: Start and Stop from one thread (the node's); the writer
// runs on a thread of its own, which alone touches the schedule. The store,
// notifier, clock and status source must be thread-safe and outlive the
// writer. TickForTest runs one look on the caller's thread instead: do not
// mix it with Start.
#ifndef SANJI_NODE_STATUS_WRITER_H_
#define SANJI_NODE_STATUS_WRITER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "admin.pb.h"
#include "conflict/change.h"
#include "conflict/clock.h"
#include "conflict/schema.h"
#include "conflict/schema_holder.h"
#include "node/commit_notifier.h"
#include "node/status_schedule.h"
#include "store/store.h"

namespace sanji::node {

// How often a status write is allowed when something changed, at most.
inline constexpr std::chrono::seconds kStatusDebounce{5};
// Records counted per collection, at most, for the record counts.
inline constexpr size_t kMaxCountedRecords = 100'000;
// Open conflict events counted, at most (each costs a read of its record).
inline constexpr size_t kMaxCountedOpenConflicts = 1'000;

struct StatusWriterOptions {
  std::chrono::seconds period{60};
  // The store's directory, whose size the record reports.
  std::string data_dir;
  // What the node says about itself now (Node::Status).
  std::function<v1::NodeStatus()> status;
};

// What the record says beyond the node's v1::NodeStatus.
struct StatusFacts {
  int64_t now_micros = 0;
  int64_t period_s = 0;
  int64_t in_sync_micros = 0;  // the last time the parent link was seen live
  std::string records;         // the "records" field's text
  int64_t conflicts = 0;
  int64_t open_conflicts = 0;
  int64_t disk_bytes = 0;
};

// The change that writes `status` and `facts` as the node's record: every
// field assigned, and the scope (node/status_schema.h). Pure.
conflict::Change StatusChange(const v1::NodeStatus& status, const StatusFacts& facts);

// What of `status` makes a write due when it changes (StatusSchedule):
// the links' peers and states, refusals, the conflicts logged and the schema
// version run (an adoption shows in `sanjictl tree` without waiting a period).
std::string StatusDigest(const v1::NodeStatus& status, int64_t conflicts);

class StatusWriter {
 public:
  // REQUIRES: `store`, `schema` (the store's), `notifier` and `clock`
  // outlive the writer; options.status is set and options.period is at
  // least 1 s.
  StatusWriter(store::Store* store, conflict::SchemaSource schema, CommitNotifier* notifier,
               const conflict::PhysicalClock* clock, StatusWriterOptions options);
  // Stops and joins.
  ~StatusWriter();
  StatusWriter(const StatusWriter&) = delete;
  StatusWriter& operator=(const StatusWriter&) = delete;

  void Start();
  // Returns once the thread ended; a write in progress completes first.
  // Idempotent. After it, the store may close.
  void Stop();

  // One look: writes if due. Returns the write's error, or OK (written or
  // not due).
  absl::Status TickForTest() { return Tick(); }

 private:
  void Loop();
  absl::Status Tick();

  store::Store* const store_;
  const conflict::SchemaSource schema_;
  CommitNotifier* const notifier_;
  const conflict::PhysicalClock* const clock_;
  const StatusWriterOptions options_;
  // Touched by the writer's thread only (or TickForTest's caller).
  StatusSchedule schedule_;
  int64_t in_sync_micros_ = 0;
  std::string records_;
  int64_t records_counted_micros_ = 0;
  // Open conflict events, counted with the records and whenever the log grew.
  int64_t open_conflicts_ = 0;
  int64_t conflicts_counted_ = -1;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace sanji::node

#endif  // SANJI_NODE_STATUS_WRITER_H_
