// DbSnapshot: one LevelDB snapshot of the store, shared by a StoreSnapshot and
// the change iterators that read at it, and released when the last of them
// goes. While it lives it counts in the Store's live snapshots, so the Store
// does not reopen its LevelDB under it (store.h, "Write errors and recovery").
//
// Thread-safety: immutable once made; LevelDB reads are thread-safe.
// REQUIRES: the DB and the counter outlive it (the Store outlives its
// snapshots and iterators).
#ifndef SANJI_STORE_DB_SNAPSHOT_H_
#define SANJI_STORE_DB_SNAPSHOT_H_

#include <atomic>

#include "leveldb/db.h"

namespace sanji::store {

class DbSnapshot {
 public:
  // Takes a snapshot of `db` now and adds one to `*live` (may be null).
  DbSnapshot(leveldb::DB* db, std::atomic<int>* live);
  ~DbSnapshot();

  DbSnapshot(const DbSnapshot&) = delete;
  DbSnapshot& operator=(const DbSnapshot&) = delete;

  leveldb::DB* db() const { return db_; }
  // Options reading at the snapshot with checksums verified. With
  // `fill_cache` false a long scan does not evict the hot set of the block
  // cache.
  leveldb::ReadOptions ReadOptions(bool fill_cache) const;

 private:
  leveldb::DB* const db_;
  std::atomic<int>* const live_;
  const leveldb::Snapshot* const snapshot_;
};

}  // namespace sanji::store

#endif  // SANJI_STORE_DB_SNAPSHOT_H_
