// CanonicalRecord: a record's bytes as a peer sent them, checked by a strict
// reader without building the conflict::Record they encode.
//
// A receiver must check every record it is sent (a child is not trusted:
// ARCHITECTURE.md §4), and a store that holds nothing of the record can
// write the bytes as they came, if they are exactly what SerializeRecord
// would write for the record they decode to. Protobuf's parser is no help
// there: it accepts fields in any order, repeated entries split or
// duplicated, non-minimal varints, explicit defaults and unknown fields, all
// decoding to the same record, and a store that kept such bytes would relay
// them up the tree (senders pass stored bytes through) and would break "equal
// records give identical bytes" between stores. So Read() walks the bytes
// once, in the writer's order (record_writer.cc), and refuses any byte the
// writer would not have written, while it checks what ParseRecord and
// Record::CheckAgainst check: origin indexes, every dot covered by the
// context, sorted and unique entries, fields and former scopes, no empty
// field, and the values of each field the schema names with its kind
// (fields it does not know are kept as they came).
//
// Read() accepts exactly the bytes b for which ParseRecord(b) succeeds,
// SerializeRecord of the result is b, and the result passes CheckAgainst, with
// one exception: a NaN value, which no write can make (the schema refuses
// it), is refused (tests/codec checks both directions over random records
// and mutated bytes).
//
// Thread-safety: a value type; const methods may run concurrently.
#ifndef SANJI_CODEC_CANONICAL_RECORD_H_
#define SANJI_CODEC_CANONICAL_RECORD_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "conflict/hlc.h"
#include "conflict/record.h"
#include "conflict/schema.h"
#include "conflict/version_vector.h"

namespace sanji::codec {

class CanonicalRecord {
 public:
  // The empty record (no bytes), checked against no schema.
  CanonicalRecord() = default;

  // Checks `bytes` as the record of a collection of `schema` (see the file
  // comment). Errors: DataLoss naming the part and the byte offset for
  // bytes that are malformed or not canonical; InvalidArgument, worded as
  // Record::CheckAgainst's, for a record that does not fit `schema`.
  // REQUIRES: `schema` outlives the result.
  static absl::StatusOr<CanonicalRecord> Read(std::string bytes,
                                              const conflict::CollectionSchema& schema);

  // The bytes: SerializeRecord() of the record.
  const std::string& bytes() const { return bytes_; }
  // The schema Read() checked the record against (nullptr for the empty
  // record): a reader with another schema object must check again.
  const conflict::CollectionSchema* schema() const { return schema_; }

  // What the rules of sync read of a record: a Record holding only its
  // context, its scope register and its former scopes, so that scope(),
  // DepartedScopes() and replication::Holds() read as on the whole record.
  // Its other parts are empty: it is not the record (see Decode()).
  const conflict::Record& head() const { return head_; }
  const conflict::VersionVector& context() const { return head_.context(); }
  // Record::NewestTimestamp() of the record.
  conflict::HlcTimestamp newest() const { return newest_; }
  // True if merging the record into nothing reveals no conflict
  // (conflict::NewConflicts with an empty `before` is empty): the scope and
  // every lww or mv field hold one value (in one entry or several: equal
  // values are not a conflict), and the record is not a write concurrent
  // with a delete. A store writes such a record, when it
  // holds nothing of it, as its bytes alone.
  bool conflict_free() const { return conflict_free_; }
  // The fields the record holds in another state kind than the schema gives
  // their name (Record::ClashingFields), in record order; usually none.
  const std::vector<std::string>& clashing_fields() const { return clashing_fields_; }

  // The whole record. Errors: DataLoss (only if memory is corrupt: Read()
  // accepted these bytes).
  absl::StatusOr<conflict::Record> Decode() const;

 private:
  friend class CanonicalReader;

  std::string bytes_;
  const conflict::CollectionSchema* schema_ = nullptr;
  conflict::Record head_;
  conflict::HlcTimestamp newest_;
  bool conflict_free_ = true;
  std::vector<std::string> clashing_fields_;
};

}  // namespace sanji::codec

#endif  // SANJI_CODEC_CANONICAL_RECORD_H_
