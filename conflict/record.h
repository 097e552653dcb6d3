// Record: the replicated state of one (collection, key), and its merge.
//
// A record is an observed-remove map of causal fields sharing one causal
// context (Almeida/Baquero's ORMap), plus:
//  - a scope register (an lww ValueRegister of the scope path), which decides
//    which nodes hold the record and may change when a request is reassigned;
//  - a presence kernel: one entry per surviving write; the record is alive
//    while it is non-empty;
//  - a delete kernel: the tombstone, with the dot and time of each surviving
//    delete;
//  - authors: Sanji's own set field `@authors`, the identity of whoever
//    made each change still in the record, one entry per change under the
//    change's own dot (two changes by one author are two entries). A write
//    drops the entries of changes nothing in the record holds any more, so
//    it holds no history beyond the record's state; the join is the set's.
//    No schema names it and reads do not show it as a field;
//  - former scopes: a grow-only set of every scope the record was moved away
//    from. A node whose filter held the record under an old scope may still
//    hold it, so a sender tells such a node of the move-out (replication/
//    DESIGN.md, "Move-outs"); nothing in the state says so otherwise, since a
//    reassignment overwrites the old scope entry.
//
// Delete rule (write-wins, observed-remove): a delete removes exactly what it
// saw: every field entry and every write in its causal past. A write the
// delete did not see survives, with what it wrote, and the record is alive
// again; NewConflicts() reports it (kWriteConcurrentWithDelete), so the write
// is never lost and the revival is never silent. One exception, by design: a
// counter keeps one running total per origin, so an increment the delete did
// not see brings back its origin's whole total, the part the delete saw
// included (causal_counter.h; tracking each increment would grow without end). The scope is kept by
// a delete so that the tombstone still reaches the nodes that held the record.
//
// Join() is the only merge: commutative, associative, idempotent. Write() and
// Delete() return the successor state, which is >= this (joining it into this
// gives it back), so a local write and a remote one land through the same Join.
//
// Canonical form: no field holds an empty state, entries are sorted, the
// context covers every dot in the record. Equal records compare equal and
// encode to identical bytes.
//
// Thread-safety: a value type; const methods may run concurrently.
#ifndef SANJI_CONFLICT_RECORD_H_
#define SANJI_CONFLICT_RECORD_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "conflict/change.h"
#include "conflict/dot_kernel.h"
#include "conflict/field.h"
#include "conflict/hlc.h"
#include "conflict/schema.h"
#include "conflict/value_register.h"
#include "conflict/version_vector.h"

namespace sanji::conflict {

// The parts of a record, as the codec reads and writes them.
struct RecordState {
  VersionVector context;
  ValueRegister scope;
  DotKernel<HlcTimestamp> presence;
  DotKernel<HlcTimestamp> deletes;
  // Sorted by name, then kind (field.h, FieldKey).
  absl::btree_map<FieldKey, FieldState, FieldKeyLess> fields;
  absl::btree_set<std::string> former_scopes;

  friend bool operator==(const RecordState&, const RecordState&) = default;
};

class Record {
 public:
  // The name conflict events use for the scope register.
  static constexpr absl::string_view kScopeField = "@scope";
  // The field that names each change's author (see the file comment).
  static constexpr absl::string_view kAuthorsField = "@authors";

  Record() = default;

  // Adopts decoded parts. Errors: DataLoss if they are not canonical (an
  // entry not covered by the context, an empty field), which a corrupt frame
  // or store entry would show.
  static absl::StatusOr<Record> FromState(RecordState state);

  // The state after applying `change`, written at `dot` (a fresh dot of this
  // node) and `timestamp`. A status field that holds nothing after the
  // change (a new record's, or a revived one's) starts at the first value of
  // its order, written at `dot`. Errors: InvalidArgument from the schema (see
  // CollectionSchema::ValidateChange), or when a new record has no scope;
  // FailedPrecondition when a status would move backwards; OutOfRange when
  // an increment would carry a counter's total past the int64 limits.
  // The change's author, if any, is kept under `dot`. An answer
  // (Change::answer) writes its fields alone: presence, deletes, scope and
  // status starts stay as they are; InvalidArgument if it sets a scope.
  absl::StatusOr<Record> Write(const CollectionSchema& schema, const Change& change, const Dot& dot,
                               HlcTimestamp timestamp) const;

  // The state after deleting the record at `dot` and `timestamp`, by
  // `author` (empty: not recorded).
  Record Delete(const Dot& dot, HlcTimestamp timestamp, absl::string_view author = "") const;

  // Merges `other` into this record.
  void Join(const Record& other);

  // Checks what `schema` knows of the record, on records received from peers
  // before they are merged. Errors: InvalidArgument for a scope that is not
  // text, text anywhere that is not UTF-8, or a value of another type than
  // the schema's in a field the schema names with the record's state kind.
  // Fields the schema does not name, or names with another state kind (a
  // clash, ClashingFields()), and status ranks beyond the schema's order (a
  // newer schema's values) are not errors: the record keeps them untouched,
  // and relays them, until a schema that knows them arrives.
  absl::Status CheckAgainst(const CollectionSchema& schema) const;

  // The fields the record holds in another state kind than `schema` gives
  // their name, each once, sorted (field.h, FieldKey).
  std::vector<std::string> ClashingFields(const CollectionSchema& schema) const;

  bool alive() const { return !state_.presence.empty(); }
  // The current scope (the lww read of the scope register), if ever set.
  std::optional<std::string> scope() const;
  // Scopes under which some node may hold this record although scope() is
  // elsewhere now: the former scopes, and the losing values of concurrent
  // reassignments (a node may have received one of those first). Sorted,
  // without duplicates, never containing scope().
  std::vector<std::string> DepartedScopes() const;
  // The greatest HLC timestamp anywhere in the record (the skew check of a
  // received record reads it).
  HlcTimestamp NewestTimestamp() const;
  const VersionVector& context() const { return state_.context; }
  const RecordState& state() const { return state_; }
  // The author of the change made at `dot`, if the record keeps one.
  std::optional<std::string> AuthorOf(const Dot& dot) const;
  // The record without its authors, for a peer that cannot take them
  // (replication/session.h, protocol 1). A node that joins the result back
  // loses the authors of the changes it covers; nothing else is lost.
  Record WithoutAuthors() const;
  // The field `name` of state kind `kind`; nullptr when it holds nothing.
  const FieldState* field(absl::string_view name, StateKind kind) const;
  // The field `name` when the record holds it in one kind only; nullptr when
  // it holds nothing, or holds the name in two kinds (ask with the kind).
  const FieldState* field(absl::string_view name) const;

  std::string DebugString() const;

  friend bool operator==(const Record&, const Record&) = default;

 private:
  explicit Record(RecordState state) : state_(std::move(state)) {}

  // Sets each status field of `schema` that holds nothing to its start.
  void StartStatusFields(const CollectionSchema& schema, const Dot& dot);
  // Keeps `author` (if not empty) as the author of the change at `dot`, and
  // drops the authors of changes the record no longer holds anything of.
  void KeepAuthor(const Dot& dot, absl::string_view author);
  absl::Status ApplyOperation(const CollectionSchema& schema, const FieldOp& op, const Dot& dot,
                              HlcTimestamp timestamp);

  RecordState state_;
};

}  // namespace sanji::conflict

#endif  // SANJI_CONFLICT_RECORD_H_
