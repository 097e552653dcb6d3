#include "store/db_snapshot.h"

namespace sanji::store {

DbSnapshot::DbSnapshot(leveldb::DB* db, std::atomic<int>* live)
    : db_(db), live_(live), snapshot_(db->GetSnapshot()) {
  if (live_ != nullptr) live_->fetch_add(1);
}

DbSnapshot::~DbSnapshot() {
  db_->ReleaseSnapshot(snapshot_);
  if (live_ != nullptr) live_->fetch_sub(1);
}

leveldb::ReadOptions DbSnapshot::ReadOptions(bool fill_cache) const {
  leveldb::ReadOptions options;
  options.snapshot = snapshot_;
  options.fill_cache = fill_cache;
  options.verify_checksums = true;
  return options;
}

}  // namespace sanji::store
