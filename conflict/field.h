// Field kinds and the state a field of each kind holds.
//
// `lww` and `mv` share one state type (ValueRegister) and differ in how they
// are read; the kind lives in the schema, not in the state, so the join needs
// no schema.
//
// Thread-safety: plain values.
#ifndef SANJI_CONFLICT_FIELD_H_
#define SANJI_CONFLICT_FIELD_H_

#include <variant>

#include "absl/strings/string_view.h"
#include "conflict/causal_counter.h"
#include "conflict/or_set.h"
#include "conflict/status_register.h"
#include "conflict/value_register.h"

namespace sanji::conflict {

enum class FieldKind { kLww, kMv, kCounter, kSet, kStatus };

// "lww", "mv", "counter", "set", "status".
absl::string_view FieldKindName(FieldKind kind);

using FieldState = std::variant<ValueRegister, CausalCounter, OrSet, StatusRegister>;

// The empty state a field of `kind` starts from.
FieldState EmptyFieldState(FieldKind kind);
// Whether `state` is the state type of `kind`.
bool StateMatchesKind(const FieldState& state, FieldKind kind);
bool IsEmpty(const FieldState& state);

// Joins into `mine` a side that lacks the field: drops what `their_context`
// covers (see DotKernel::EraseCovered).
void EraseCovered(FieldState& mine, const VersionVector& their_context);

// Joins `theirs` into `mine` (see DotKernel::Join).
// REQUIRES: both hold the same alternative.
void JoinFieldState(FieldState& mine, const VersionVector& my_context, const FieldState& theirs,
                    const VersionVector& their_context);

}  // namespace sanji::conflict

#endif  // SANJI_CONFLICT_FIELD_H_
