// Conflict events: what a merge tells the operator about concurrent edits.
//
// NewConflicts(before, after) compares a record before and after a join (or
// write) and reports what became concurrent:
//  - kLwwOverwrite: an lww value (or the scope) was displaced by a concurrent
//    write. `kept` is the value now read, `other` the displaced one. Equal
//    values are not a conflict: a concurrent write of the value read
//    displaces nothing and is not reported (the register still keeps its
//    dot, so the join and every replica's state are unchanged), and of
//    several concurrent writes of one displaced value, one is reported. A
//    value is reported when it becomes displaced, and not again while it
//    stays so: a displaced value stays displaced until a write that saw it
//    replaces it, unless a delete that did not see it removes every value
//    above it. Then it is the read value again (write-wins deletes,
//    record.h), and being displaced once more is a new conflict, reported
//    again. A loser not displaced only because a write of its value above it
//    was read, which becomes displaced when a delete removes that write, is
//    not reported if the register already held the new winner: whether this
//    replica reported that pair before the equal value arrived is not in the
//    state (both orders join to the same record), and an operator must not
//    see one overwrite listed twice. Its value is then most often in this
//    replica's log already, as the value kept over the winner, but not
//    always: that is the price of never listing an overwrite twice from two
//    states alone. So on one replica no (displaced, kept) pair is ever
//    reported twice.
//  - kMvSiblings: an mv field gained a sibling of a value it did not hold;
//    `other` is the new sibling, `kept` the greatest of those holding another
//    value. Both stay until a person resolves them. A sibling of a value the
//    field already holds gives nothing to choose between and is not reported.
//  - kWriteConcurrentWithDelete: a write the delete did not see revived the
//    record. `kept` is the surviving write, `other` the delete (no value).
//
// Pure function of the two states: events are derived, never merged.
//
// Thread-safety: plain values and a pure function.
#ifndef SANJI_CONFLICT_CONFLICT_EVENT_H_
#define SANJI_CONFLICT_CONFLICT_EVENT_H_

#include <optional>
#include <string>
#include <vector>

#include "conflict/dot.h"
#include "conflict/hlc.h"
#include "conflict/record.h"
#include "conflict/schema.h"
#include "conflict/value.h"

namespace sanji::conflict {

struct ConflictSide {
  Dot dot;
  HlcTimestamp timestamp;
  std::optional<Value> value;
  // Who made the change, as the record kept it (Record::AuthorOf); empty if
  // it kept none (a change made before authors were recorded).
  std::string author;

  friend bool operator==(const ConflictSide&, const ConflictSide&) = default;
};

struct ConflictEvent {
  enum class Kind { kLwwOverwrite, kMvSiblings, kWriteConcurrentWithDelete };

  Kind kind = Kind::kLwwOverwrite;
  // The field, Record::kScopeField for the scope, empty for a delete.
  std::string field;
  ConflictSide kept;
  ConflictSide other;

  friend bool operator==(const ConflictEvent&, const ConflictEvent&) = default;
  std::string ToString() const;
};

// REQUIRES: `after` is `before` joined with something (or its successor by a
// write), and both are records of `schema`'s collection.
std::vector<ConflictEvent> NewConflicts(const CollectionSchema& schema, const Record& before,
                                        const Record& after);

// Whether a later change settled `event` in `record` (the record as a node
// holds it now): the record has seen both sides (its context covers their
// dots) and holds neither any more: a write (or delete) made after both
// replaced them. That is how a conflict resolved at one node (its chosen
// value written there) reads as settled at every node the write reaches,
// and how a field written over since reads as no longer in conflict. An
// event whose two sides hold the same value is settled whatever the record:
// there is nothing to decide (such events were logged before equal values
// stopped being reported, and would otherwise stay open forever).
// REQUIRES: `event` was derived from a state of the same record.
bool SettledBy(const ConflictEvent& event, const Record& record);

}  // namespace sanji::conflict

#endif  // SANJI_CONFLICT_CONFLICT_EVENT_H_
