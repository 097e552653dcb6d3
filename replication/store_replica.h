// StoreReplica: the engine's view of a node's store::Store (replica.h), and
// the way an ApplyBatch lands in it. Kept out of sanji_replication (it is its
// own library, sanji_replication_store) so that the engine itself links no
// LevelDB.
//
// Thread-safety: as store::Store (thread-safe); snapshots and cursors are used
// by one thread at a time.
#ifndef SANJI_REPLICATION_STORE_REPLICA_H_
#define SANJI_REPLICATION_STORE_REPLICA_H_

#include <memory>

#include "absl/status/status.h"
#include "replication/replica.h"
#include "store/store.h"

namespace sanji::replication {

class StoreReplica : public ReplicaReader {
 public:
  // REQUIRES: `store` outlives this object and every snapshot taken from it.
  explicit StoreReplica(store::Store* store) : store_(store) {}

  const conflict::Origin& origin() const override { return store_->origin(); }
  std::unique_ptr<ReplicaSnapshot> Snapshot() const override;
  absl::StatusOr<conflict::Record> Get(absl::string_view collection,
                                       absl::string_view key) const override;
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Departures() const override;

 private:
  store::Store* const store_;
};

// Applies `batch` to `store` in one atomic commit (store::Store::ApplyRemote):
// its items merged, its move-outs evicted where the store holds nothing the
// received state lacks, its knowledge joined. Takes the batch by value: its
// records move into the store's batch (pass it with std::move; the sequence
// to report to Session::Applied must be read first). Returns how many
// records it changed (store::RemoteApplied).
absl::StatusOr<store::RemoteApplied> ApplyToStore(store::Store& store, ApplyBatch batch);

}  // namespace sanji::replication

#endif  // SANJI_REPLICATION_STORE_REPLICA_H_
