// Answers: the fields of a record that nodes below the record's scope write,
// each its own entries (docs/SCHEMA.md, "Villages answer county records"): a
// village adds itself to a county notice's `acknowledged_by`, reports
// progress on a county task. The schema names them (FieldSpec::answer); the
// rules here decide whose entry is whose, at the application API and on the
// sync path, and refuse everything else exactly as the ordinary rules do.
//
// Whose entry is whose: a counter keeps one entry per origin, its origin's
// own. A set element names its owner: the element is a scope path
// ("gutian/fengpu/xiaban") or starts with one and a colon
// ("gutian/fengpu/xiaban:posted at the village office").
//
// Thread-safety: pure functions.
#ifndef SANJI_AUTHZ_ANSWER_H_
#define SANJI_AUTHZ_ANSWER_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "conflict/change.h"
#include "conflict/record.h"
#include "conflict/schema.h"

namespace sanji::authz {

// Whether `collection` has a field nodes below a record's scope may answer.
bool HasAnswerFields(const conflict::CollectionSchema& collection);

// The owner an answer set's element names: what comes before its first ':',
// or the whole element.
absl::string_view AnswerOwner(absl::string_view element);

// At the application API: whether `change`, to a record of `collection`
// whose scope is above the caller, is an answer of its writer's own: every
// operation adds or removes elements of an answer set owned within both
// `caller_scope` and `node` (the node that takes the write, whose dot the
// change carries), or increments an answer counter; and it sets no scope.
// PermissionDenied otherwise, naming the field that is not an answer field
// or the element that is not the writer's.
absl::Status CheckAnswer(const conflict::Change& change,
                         const conflict::CollectionSchema& collection,
                         absl::string_view caller_scope, absl::string_view node);

// On the sync path: whether `received` (the whole record as `child` sent it)
// changes `stored` (the receiving node's) only by answers of `child`'s
// subtree: every entry with a dot of the child's subtree that `stored` has
// not seen lies in an answer field `collection` names (each set element owned
// within its dot's origin) or among the record's authors; and every entry of
// `stored` that `received` saw and no longer holds (a removal) is an answer
// entry owned within the child's subtree (a village withdraws only its own
// acknowledgement) or an author. Asked of a record that never was in the
// child's subtree, after sync_change.h's rules of dots and scopes passed.
// PermissionDenied otherwise, naming the field, the entry and the rule.
absl::Status CheckAnswerFromChild(const conflict::Record& received, const conflict::Record& stored,
                                  absl::string_view child,
                                  const conflict::CollectionSchema& collection);

}  // namespace sanji::authz

#endif  // SANJI_AUTHZ_ANSWER_H_
