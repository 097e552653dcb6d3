// The store's metadata key space and knowledge key (store/key_layout.h): what
// Open reads instead of scanning, and what every commit rewrites.
//
// Thread-safety: functions; the DB handles its own concurrency.
#ifndef SANJI_STORE_METADATA_H_
#define SANJI_STORE_METADATA_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "conflict/hlc.h"
#include "conflict/version_vector.h"
#include "leveldb/db.h"
#include "leveldb/write_batch.h"

namespace sanji::store {

// What every commit advances.
struct Progress {
  // The last counter of the store's current origin handed out.
  uint64_t counter = 0;
  // The sequence of the next conflict event.
  uint64_t conflict_next = 1;
  conflict::HlcTimestamp hlc_last;
  conflict::VersionVector knowledge;
};

struct StoreMetadata {
  uint32_t format_version = 0;
  std::string node_id;
  uint32_t incarnation = 0;
  std::string identity_token;
  Progress progress;
};

// Puts every metadata key and the knowledge.
void PutAllMetadata(const StoreMetadata& metadata, leveldb::WriteBatch* batch);
// Puts the keys a commit changes: counter, HLC, conflict sequence, knowledge.
void PutProgress(const Progress& progress, leveldb::WriteBatch* batch);

// Reads the metadata and knowledge with a handful of point reads.
// Errors: NotFound if there is no metadata at all (a store whose creation was
// interrupted); DataLoss naming the key that is missing or malformed.
absl::StatusOr<StoreMetadata> ReadMetadata(leveldb::DB* db, const leveldb::ReadOptions& options);

// Reads the knowledge key alone. Errors: DataLoss if missing or malformed.
absl::StatusOr<conflict::VersionVector> ReadKnowledge(leveldb::DB* db,
                                                      const leveldb::ReadOptions& options);

}  // namespace sanji::store

#endif  // SANJI_STORE_METADATA_H_
