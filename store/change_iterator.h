// ChangeIterator: the records whose dot for one origin is above a counter, in
// counter order, read from one LevelDB snapshot. This is what sync streams
// from (ARCHITECTURE.md §3, §5).
//
// Memory is bounded: the iterator holds the snapshot, one LevelDB iterator
// over the origin index and the current record, however many records are
// behind. Reads do not fill the block cache, so a long catch-up does not
// evict the hot set of local traffic.
//
// Each position is (counter, collection, key, record): the record's context
// entry for the origin is exactly `counter` (the index is checked against the
// record; a mismatch stops the iteration with DataLoss). The record comes
// decoded (Decode::kRecord), or as its stored bytes and its decoded head
// (Decode::kHead: context and scope, codec::ParseRecordHead), for a reader
// that forwards the bytes as they are and needs to decode only some records
// (sync): a fraction of the decoding cost.
//
// Thread-safety: not thread-safe; one thread uses one iterator. Iterators of
// one store may run concurrently with each other and with writes.
// REQUIRES: the Store outlives the iterator. The iterator shares ownership of
// its snapshot (store/db_snapshot.h): it may outlive the StoreSnapshot that
// made it, and it counts as a live snapshot until destroyed.
#ifndef SANJI_STORE_CHANGE_ITERATOR_H_
#define SANJI_STORE_CHANGE_ITERATOR_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "codec/record_codec.h"
#include "conflict/dot.h"
#include "conflict/record.h"
#include "leveldb/db.h"
#include "store/db_snapshot.h"

namespace sanji::store {

class ChangeIterator {
 public:
  // How much of each record is decoded (see the file comment).
  enum class Decode { kRecord, kHead };

  // Positions at the first change of `origin` above `after_counter`, as of
  // `snapshot`. REQUIRES: `snapshot` is not null.
  ChangeIterator(std::shared_ptr<const DbSnapshot> snapshot, conflict::Origin origin,
                 uint64_t after_counter, Decode decode = Decode::kRecord);
  // An iterator that is not Valid() and reports `error` (a closed store).
  explicit ChangeIterator(absl::Status error);
  ~ChangeIterator();

  ChangeIterator(const ChangeIterator&) = delete;
  ChangeIterator& operator=(const ChangeIterator&) = delete;

  // False at the end or after an error (see status()).
  bool Valid() const { return valid_; }
  // REQUIRES: Valid().
  void Next();
  // OK at the end of a clean iteration; DataLoss or an I/O error otherwise.
  const absl::Status& status() const { return status_; }

  // REQUIRES: Valid() for each of these.
  uint64_t counter() const { return counter_; }
  const std::string& collection() const { return collection_; }
  const std::string& key() const { return key_; }
  // REQUIRES: Decode::kRecord.
  const conflict::Record& record() const { return record_; }
  // REQUIRES: Decode::kHead. The record as stored (codec::SerializeRecord
  // bytes) and its head.
  const std::string& record_bytes() const { return bytes_; }
  const codec::RecordHead& head() const { return head_; }

 private:
  // Loads the entry under `index_`, or ends the iteration.
  void Load();
  // Decodes bytes_ into record_ or head_, as decode_ says.
  absl::Status DecodeBytes();

  // Null for an error-only iterator. Declared before index_, so that index_,
  // which reads from it, is destroyed first.
  const std::shared_ptr<const DbSnapshot> snapshot_;
  const conflict::Origin origin_;
  const std::string prefix_;
  const Decode decode_ = Decode::kRecord;
  const leveldb::ReadOptions read_options_;
  std::unique_ptr<leveldb::Iterator> index_;

  bool valid_ = false;
  absl::Status status_;
  uint64_t counter_ = 0;
  std::string collection_;
  std::string key_;
  std::string record_key_;  // reused from record to record
  std::string bytes_;       // reused from record to record
  conflict::Record record_;
  codec::RecordHead head_;
};

}  // namespace sanji::store

#endif  // SANJI_STORE_CHANGE_ITERATOR_H_
