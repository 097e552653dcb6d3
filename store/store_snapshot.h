// StoreSnapshot: the store as it was at one instant (one LevelDB snapshot),
// for the sync engine (ARCHITECTURE.md §3): the knowledge, the index
// frontier and the change streams it hands to a peer all describe the same
// state, whatever commits in the meantime.
//
// Taking one (Store::Snapshot) usually reads nothing from LevelDB: the Store
// keeps the snapshot's summary (knowledge, index frontier, whether the
// knowledge cloud is empty) in memory from its commits. When it cannot (a
// commit in flight, or the summary unknown after open, an eviction or a
// failed commit), the snapshot reads the knowledge key and computes the
// index frontier with two seeks and one step back per origin in the origin
// index, never a scan of its entries: the cost grows with the number of
// origins, not with the number of records.
//
// While a StoreSnapshot, or a ChangeIterator made from it, is alive, the
// Store does not reopen its LevelDB after a write error (store.h, "Write
// errors and recovery"): release snapshots when a session ends or stalls.
//
// Thread-safety: one thread at a time uses a snapshot (its methods are const
// and read only immutable state, but it is not meant to be shared). Any
// number of snapshots may be used concurrently with each other and with
// writes to the store.
// REQUIRES: the Store outlives the snapshot and its iterators.
#ifndef SANJI_STORE_STORE_SNAPSHOT_H_
#define SANJI_STORE_STORE_SNAPSHOT_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "conflict/dot.h"
#include "conflict/version_vector.h"
#include "store/change_iterator.h"
#include "store/db_snapshot.h"

namespace sanji::store {

class StoreSnapshot {
 public:
  // What a snapshot holds besides its change streams.
  struct Summary {
    conflict::VersionVector knowledge;
    // See IndexFrontier().
    conflict::VersionVector frontier;
    // True if the knowledge cloud holds no dot (KnowledgeCloud() is empty).
    bool cloud_empty = false;
  };

  // Reads the summary at `snapshot`. On a read error (DataLoss, I/O),
  // status() reports it. REQUIRES: `snapshot` not null.
  explicit StoreSnapshot(std::shared_ptr<const DbSnapshot> snapshot);
  // A snapshot whose summary is known, which reads nothing now.
  // REQUIRES: `snapshot` not null; `summary` is what the constructor above
  // would read at `snapshot`.
  StoreSnapshot(std::shared_ptr<const DbSnapshot> snapshot, Summary summary);
  // A snapshot of nothing that reports `error` (a store closed after a
  // failed reopen).
  explicit StoreSnapshot(absl::Status error);

  StoreSnapshot(const StoreSnapshot&) = delete;
  StoreSnapshot& operator=(const StoreSnapshot&) = delete;

  // OK if the snapshot was read whole. Otherwise Knowledge and IndexFrontier
  // are incomplete (possibly empty), ChangesSince yields only this error, and
  // the caller should end the session.
  const absl::Status& status() const { return status_; }

  // The summary below, whole (meaningful if status() is OK).
  const Summary& summary() const { return summary_; }

  // The node's knowledge as stored at the snapshot.
  conflict::VersionVector Knowledge() const { return summary_.knowledge; }

  // At most `limit` dots of the knowledge cloud (key_layout.h, 0x08): dots
  // of records held beyond the knowledge, in key order. Errors: DataLoss, I/O.
  absl::StatusOr<std::vector<conflict::Dot>> KnowledgeCloud(size_t limit) const;

  // For every origin with at least one origin index entry at the snapshot,
  // the highest counter indexed: ChangesSince(origin, c) yields nothing for
  // c at or above it. It may be below the knowledge of the origin (changes
  // outside this node's filter, records evicted).
  conflict::VersionVector IndexFrontier() const { return summary_.frontier; }

  // Records whose dot for `origin` is above `after_counter`, in counter
  // order, read at this snapshot and decoded as `decode` says
  // (change_iterator.h). The iterator shares the snapshot and may outlive
  // this object (not the Store).
  std::unique_ptr<ChangeIterator> ChangesSince(
      const conflict::Origin& origin, uint64_t after_counter,
      ChangeIterator::Decode decode = ChangeIterator::Decode::kRecord) const;

 private:
  const std::shared_ptr<const DbSnapshot> snapshot_;  // null if status_ is an error
  absl::Status status_;
  Summary summary_;
};

}  // namespace sanji::store

#endif  // SANJI_STORE_STORE_SNAPSHOT_H_
