// What a node takes from its tree neighbours on the sync path (ARCHITECTURE.md
// §4): the authority rules of a change that arrives in a session, pure, beside
// authorization.h's rule of who may call what. The sync engine
// (replication/session.h) asks them for every item it receives; the
// simulator's network asks Holds() as the engine does.
//
// Thread-safety: pure functions.
#ifndef SANJI_AUTHZ_SYNC_CHANGE_H_
#define SANJI_AUTHZ_SYNC_CHANGE_H_

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "conflict/record.h"
#include "conflict/schema.h"

namespace sanji::authz {

// Whether `node` keeps `record` in its store: the record is in its filter,
// or `node` has children (`relays`) and the record was moved away from a
// scope in its filter: some node below may still hold it under that scope
// and must learn of the move through this node, which keeps the record for
// that (a "ghost"; replication/DESIGN.md, "Move-outs"). A record without a
// scope is held nowhere.
bool Holds(const conflict::Record& record, absl::string_view node, bool relays);

// The whole record as it arrived, decoded only when a rule needs it (an
// answer, CheckAnswerFromChild).
using WholeRecord = absl::FunctionRef<absl::StatusOr<conflict::Record>()>;

// A change to `record` (its state as it arrived; its head is enough: context,
// scope, former scopes) received by node `self`. `move_out` marks the
// sender's word that the record left `self`'s filter.
struct ReceivedChange {
  const conflict::Record& record;
  bool move_out = false;
  // For answers from a child (authz/answer.h): the receiver's schema of the
  // record's collection and the whole record. Null: none are taken.
  const conflict::CollectionSchema* collection = nullptr;
  const WholeRecord* whole = nullptr;
};

// From `self`'s parent: only what `self`'s filter holds, or a move-out.
// PermissionDenied otherwise, with the reason ("scope S is outside the
// filter of N", "a record without a scope").
absl::Status CheckChangeFromParent(const ReceivedChange& change, absl::string_view self);

// The record as the receiving node holds it, or null if it holds none; asked
// only when a rule needs it (most changes from a child are of its own subtree
// and need no read).
using StoredRecord = absl::FunctionRef<const conflict::Record*()>;

// From `child`, a node below `self`: only changes the child's subtree made,
// to records it had authority over when it made them. A dot, a former scope
// or a scope move from outside the child's subtree is taken only if `self`
// holds it on this very record already (it came down through `self`, or to
// the child by failover): a dot or scope `self` merely knows of is not
// enough, since a child could pair it with content of its own. A change to
// a record that never was in the child's subtree is taken only as answers
// (CheckAnswerFromChild), when `change` gives what that rule reads.
// PermissionDenied otherwise, naming the dot or scope and the rule.
absl::Status CheckChangeFromChild(const ReceivedChange& change, absl::string_view self,
                                  absl::string_view child, StoredRecord stored);

}  // namespace sanji::authz

#endif  // SANJI_AUTHZ_SYNC_CHANGE_H_
