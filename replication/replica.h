// What the sync engine needs of a node's store, and what it asks the store to
// do. The engine only reads through these interfaces; the driver (node/, the
// simulator, a benchmark) applies the ApplyBatches the engine emits.
// replication/store_replica.h implements them over store::Store.
#ifndef SANJI_REPLICATION_REPLICA_H_
#define SANJI_REPLICATION_REPLICA_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "codec/canonical_record.h"
#include "codec/record_codec.h"
#include "conflict/dot.h"
#include "conflict/dot_context.h"
#include "conflict/record.h"
#include "conflict/version_vector.h"

namespace sanji::replication {

// The records whose dot for one origin is above a counter, in counter order.
// Thread-safety: one thread at a time.
class ChangeCursor {
 public:
  virtual ~ChangeCursor() = default;
  // False at the end or after an error (see status()).
  virtual bool Valid() const = 0;
  // REQUIRES: Valid().
  virtual void Next() = 0;
  virtual absl::Status status() const = 0;
  // REQUIRES: Valid(). head().context.Get(origin) == counter().
  virtual uint64_t counter() const = 0;
  virtual const std::string& collection() const = 0;
  virtual const std::string& key() const = 0;
  // The record as stored: codec::SerializeRecord bytes, which a frame
  // carries as they are. codec::ParseRecord decodes them where the engine
  // needs the whole record; most records need only head().
  virtual const std::string& record_bytes() const = 0;
  // The record's context and scope.
  virtual const codec::RecordHead& head() const = 0;
};

// One consistent view of a store. Thread-safety: one thread at a time.
class ReplicaSnapshot {
 public:
  virtual ~ReplicaSnapshot() = default;
  // Not OK if the snapshot could not be read whole; the rest is then
  // incomplete and the session using it ends with this error.
  virtual absl::Status status() const = 0;
  // The store's knowledge (a version vector).
  virtual conflict::VersionVector Knowledge() const = 0;
  // At most `limit` dots of records the store holds beyond its knowledge.
  virtual absl::StatusOr<std::vector<conflict::Dot>> KnowledgeCloud(size_t limit) const = 0;
  // For each origin with an indexed record, the highest indexed counter.
  // Costs O(origins), not O(records).
  virtual conflict::VersionVector IndexFrontier() const = 0;
  virtual std::unique_ptr<ChangeCursor> ChangesSince(const conflict::Origin& origin,
                                                     uint64_t after_counter) const = 0;
};

// A node's store as the engine reads it. Thread-safety: implementations are
// thread-safe (sessions of one node may run on different threads).
class ReplicaReader {
 public:
  virtual ~ReplicaReader() = default;
  // The store's current origin (node id and incarnation).
  virtual const conflict::Origin& origin() const = 0;
  virtual std::unique_ptr<ReplicaSnapshot> Snapshot() const = 0;
  // The record as stored now. NotFound if absent.
  virtual absl::StatusOr<conflict::Record> Get(absl::string_view collection,
                                               absl::string_view key) const = 0;
  // Records a move-out left here because they held changes it lacked, as
  // (collection, key): this node must pass them up, then drop them.
  virtual absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Departures() const = 0;
};

// What a received batch asks of the store: merge the items and adopt the
// knowledge, atomically (store::Store::ApplyRemote). Items that were refused
// are not here.
struct ApplyBatch {
  struct Item {
    std::string collection;
    std::string key;
    // The record as the peer sent it, read and checked against the schema;
    // the store writes these bytes as they came where it can (store.h).
    codec::CanonicalRecord record;
    // The record left this node's filter: merge it, then drop it unless this
    // node holds a change of its own subtree the received state lacks.
    bool move_out = false;
    // For a move-out: the changes of nodes outside this node's subtree that
    // it holds of the record (the stored record's context, those origins
    // only). They do not keep the record here: their own nodes hold them
    // and pass them up, while this node, outside the record's filter, could
    // never pass them on (replication/DESIGN.md, "Move-outs").
    conflict::VersionVector others_held;
  };
  // The session's batch sequence: pass it back to Session::Applied. 0 for a
  // batch the session makes of its own accord (evictions), which is
  // reported too but acknowledges nothing.
  uint64_t sequence = 0;
  std::vector<Item> items;
  // Joined into the store's knowledge.
  conflict::VersionVector knowledge;
  // Dots of applied records beyond that knowledge, for the store's knowledge
  // cloud, so that a resumed session does not send those records again.
  std::vector<conflict::Dot> held_dots;
  // Records to drop if their stored context is covered by `context` (a
  // departed record the parent now holds).
  struct Eviction {
    std::string collection;
    std::string key;
    conflict::VersionVector context;
  };
  std::vector<Eviction> evictions;
};

}  // namespace sanji::replication

#endif  // SANJI_REPLICATION_REPLICA_H_
