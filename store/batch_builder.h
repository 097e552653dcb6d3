// BatchBuilder: the WriteBatch of one group commit, built record by record.
//
// It keeps the states it has staged, so a later writer in the same group that
// touches the same record sees the earlier one's result rather than the stored
// state. For each staged record it writes the record, the origin index diff
// (a context entry whose counter moved replaces its old index entry) and the
// conflict events; an evicted record goes with its index entries. Finish()
// adds the progress (counter, HLC, conflict
// sequence, knowledge).
//
// Thread-safety: not thread-safe; used by the commit leader alone.
#ifndef SANJI_STORE_BATCH_BUILDER_H_
#define SANJI_STORE_BATCH_BUILDER_H_

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "conflict/conflict_event.h"
#include "conflict/record.h"
#include "conflict/version_vector.h"
#include "leveldb/db.h"
#include "leveldb/write_batch.h"
#include "store/metadata.h"
#include "store/record_key_filter.h"

namespace sanji::store {

class BatchBuilder {
 public:
  // REQUIRES: `db` and `key_filter` outlive this builder and no one else
  // writes to `db` while the builder is in use. Every record key the builder
  // stages is added to `key_filter` (record_key_filter.h), and a lookup of a
  // key the filter certainly lacks reads nothing.
  BatchBuilder(leveldb::DB* db, RecordKeyFilter* key_filter, Progress start)
      : db_(db), key_filter_(key_filter), progress_(std::move(start)) {}

  // The record as staged in this batch, else as stored, else nullopt.
  // `record_key` is RecordKey(collection, key), for a caller that has it.
  // Errors: DataLoss for an undecodable stored record; I/O errors.
  absl::StatusOr<std::optional<conflict::Record>> Lookup(const std::string& record_key,
                                                         absl::string_view collection,
                                                         absl::string_view key) const;
  absl::StatusOr<std::optional<conflict::Record>> Lookup(absl::string_view collection,
                                                         absl::string_view key) const;

  // Stages `after` as the new state of (collection, key) at `record_key`
  // (its RecordKey), whose state was `before` (nullptr if none), and appends
  // `events` to the conflict log at time `recorded_at`. `after` is kept by
  // reference, not copied (a remote batch's records are staged as they
  // came): REQUIRES: it outlives the builder; a state made while staging
  // goes through Keep(). FailedPrecondition, naming the record and both
  // sizes, if `after` encodes to more than `max_record_bytes`: nothing is
  // staged then.
  absl::Status StageRecord(const std::string& record_key, absl::string_view collection,
                           absl::string_view key, const conflict::Record* before,
                           const conflict::Record& after,
                           const std::vector<conflict::ConflictEvent>& events,
                           conflict::HlcTimestamp recorded_at, size_t max_record_bytes);

  // Stages `bytes`, the canonical encoding (codec::SerializeRecord) of a
  // record with `context`, as the new state of a record nothing was stored
  // for, with no conflict events: a remote record written as it came. Kept by
  // reference: REQUIRES: `bytes` outlives the builder.
  void StageNewRecordBytes(const std::string& record_key, const conflict::VersionVector& context,
                           const std::string& bytes);

  // Holds `record` for as long as the builder lives.
  const conflict::Record& Keep(conflict::Record record) {
    return kept_.emplace_back(std::move(record));
  }

  // Stages the removal of (collection, key), stored or staged as `before`,
  // and of its origin index entries.
  void StageEviction(absl::string_view collection, absl::string_view key,
                     const conflict::Record& before);
  // Marks the record as departed and kept (key_layout.h, 0x07); an eviction
  // removes the mark.
  // Stages nothing if the mark is there already. Errors: a read error.
  absl::Status StageDeparture(absl::string_view collection, absl::string_view key);

  // Adds `dot` to the knowledge cloud (key_layout.h, 0x08) unless it is there
  // already, so that re-applying a batch changes nothing.
  absl::Status StageCloudDot(const conflict::Dot& dot);
  // Removes the cloud dots of `origin` in (after, upto], stored or staged.
  absl::Status StageCloudRemoval(const conflict::Origin& origin, uint64_t after, uint64_t upto);

  // Stages the resolution of conflict event `sequence`.
  void StageConflictResolution(uint64_t sequence, conflict::HlcTimestamp resolved_at);

  // What this batch advances; writers update it as they stage.
  Progress& progress() { return progress_; }
  const Progress& progress() const { return progress_; }
  bool empty() const {
    return staged_.empty() && !departure_written_ && cloud_added_.empty() && !progress_changed_;
  }
  // Marks progress changed without a record (knowledge-only remote batch).
  void MarkProgressChanged() { progress_changed_ = true; }

  // Adds the progress and returns the batch to commit.
  leveldb::WriteBatch* Finish();

  // What the batch does to the store's StoreSnapshot::Summary besides the
  // knowledge in progress(): the highest counter it indexes per origin;
  // whether it removes an index entry without indexing a higher counter of
  // the same origin (an eviction), which may lower the frontier; whether it
  // adds a dot to the knowledge cloud.
  const conflict::VersionVector& indexed_top() const { return indexed_top_; }
  bool unindexes() const { return unindexes_; }
  bool adds_cloud_dots() const { return !cloud_added_.empty(); }

 private:
  leveldb::DB* const db_;
  RecordKeyFilter* const key_filter_;
  Progress progress_;
  bool progress_changed_ = false;
  // Departure marks this batch looked at (keys), and whether it wrote one.
  absl::flat_hash_set<std::string> departures_;
  bool departure_written_ = false;
  // Cloud dots staged by this batch.
  absl::btree_set<conflict::Dot> cloud_added_;
  conflict::VersionVector indexed_top_;
  bool unindexes_ = false;
  // Puts the record's bytes and its origin index entries that differ from
  // `before` (nullptr: none).
  void PutRecord(const std::string& record_key, const conflict::VersionVector* before,
                 const conflict::VersionVector& after, absl::string_view bytes);

  leveldb::WriteBatch batch_;
  // What this batch stages for a record: its state, or its bytes as received
  // (StageNewRecordBytes), or neither for a record this batch removes.
  struct Staged {
    const conflict::Record* record = nullptr;
    const std::string* bytes = nullptr;
  };
  // By record key.
  absl::flat_hash_map<std::string, Staged> staged_;
  std::deque<conflict::Record> kept_;  // stable addresses
  std::string value_;                  // reused to encode each record
};

}  // namespace sanji::store

#endif  // SANJI_STORE_BATCH_BUILDER_H_
